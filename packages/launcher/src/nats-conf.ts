import { parseArgs } from 'node:util';
import { natsServerConfig, natsUserNames, passwordEnvName } from './nats-auth.js';

/**
 * Prints a nats-server config from the permission table, for deployments the launcher does not
 * start (compose): `node packages/launcher/dist/nats-conf.js --listen 0.0.0.0:4222 --store /data`.
 * Passwords are `$NATS_PASSWORD_<USER>` references that nats-server reads from its environment,
 * so the file itself holds no secret and can be committed.
 */
const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '0.0.0.0:4222' },
    store: { type: 'string', default: '/data' },
    prefix: { type: 'string', default: '' },
  },
});
process.stdout.write(natsServerConfig({ listen: values.listen, storeDir: values.store, prefix: values.prefix, password: (user) => ({ env: passwordEnvName(user) }) }));
process.stderr.write(`nats-server needs ${natsUserNames().map(passwordEnvName).join(', ')} in its environment\n`);
