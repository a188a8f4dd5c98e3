// `node --import` this after tsx: registers raw-text-hooks.mjs.
import { register } from 'node:module';

register('./raw-text-hooks.mjs', import.meta.url);
