export * from './server';
export { ROUTES } from './routes';
export * from './settings';
export * from './auth/caller';
export * from './auth/secrets';
export * from './repositories/identity.repository';
export { currentTotp, checkTotp } from './auth/totp';
export * from './services/users';
