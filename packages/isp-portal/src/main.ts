import { openContext, exitOnStartupError } from '@deliveryline/shared';
import { buildServer } from './server';

async function main() {
  const ctx = await openContext('portal').catch(exitOnStartupError);
  const app = await buildServer(ctx);
  await app.listen({ port: ctx.env.PORT, host: ctx.env.HOST });
  ctx.log.info(`portal listening on http://${ctx.env.HOST}:${ctx.env.PORT}`);
  const stop = async () => {
    await app.close();
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
void main();
