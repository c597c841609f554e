export * from './server';
export { ROUTES } from './routes';
export * from './settings';
export * from './auth/caller';
export * from './auth/secrets';
export * from './auth/identity.repository';
export { currentTotp } from './auth/totp';
export * from './services/users';
