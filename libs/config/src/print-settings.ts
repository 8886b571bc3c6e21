import { settingsMarkdown } from './load.js';

// Prints the README settings table: `node libs/config/dist/print-settings.js`.
process.stdout.write(`${settingsMarkdown()}\n`);
