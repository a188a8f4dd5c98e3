import { UserFacingError } from '../../lib/user-facing-error';

/** An image Rackboot will not write, with why and what to do about it; raised before any byte reaches a disk. */
export class ImageFormatError extends UserFacingError {}
