import { usageText, type CommandTable } from './command-kit.js';
import { ACCOUNT_COMMANDS } from './commands/account.js';
import { APIKEY_COMMANDS } from './commands/apikey.js';
import { CONFIG_COMMANDS } from './commands/config.js';
import { CREDENTIAL_COMMANDS } from './commands/credential.js';
import { HSM_COMMANDS } from './commands/hsm.js';
import { INVENTORY_COMMANDS } from './commands/inventory.js';
import { PKI_COMMANDS } from './commands/pki.js';
import { RCD_COMMANDS } from './commands/rcd.js';
import { ROUTE_COMMANDS } from './commands/route.js';
import { SERVE_COMMANDS } from './commands/serve.js';
import { SIGN_COMMANDS } from './commands/sign.js';
import { SIPSOURCE_COMMANDS } from './commands/sipsource.js';
import { USER_COMMANDS } from './commands/user.js';
import { VERIFY_COMMANDS } from './commands/verify.js';

/** Every command, in the order the usage text lists them. */
export const COMMANDS: CommandTable = {
  ...SERVE_COMMANDS,
  ...ACCOUNT_COMMANDS,
  ...APIKEY_COMMANDS,
  ...INVENTORY_COMMANDS,
  ...ROUTE_COMMANDS,
  ...SIPSOURCE_COMMANDS,
  ...RCD_COMMANDS,
  ...CREDENTIAL_COMMANDS,
  ...HSM_COMMANDS,
  ...PKI_COMMANDS,
  ...SIGN_COMMANDS,
  ...VERIFY_COMMANDS,
  ...USER_COMMANDS,
  ...CONFIG_COMMANDS,
};

export function usage(name?: string): string {
  return usageText(COMMANDS, name);
}
