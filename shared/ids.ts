import { z } from 'zod';

/**
 * The ids Rackboot gives nodes and images (random UUIDs; tests use short ones like `n1`): a letter or digit, then
 * letters, digits, `-` and `_`. An id that becomes part of a file name can then never climb out of its folder
 * (no `/`, `\`, `.` or `..`) nor name another kind of file.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const idSchema = z.string().regex(ID_PATTERN, 'not a Rackboot id (letters, digits, - and _)');
