export * from './server';
export { ROUTES } from './routes';
export * from './settings';
export * from './auth/caller';
export * from './auth/secrets';
export * from './repositories/identity.repository';
export { currentTotp } from './auth/totp';
export { checkCredentials, type CredentialCheck } from './auth/credentials';
export * from './services/users';
