import type { NetworkOp } from '../../shared/network';

/**
 * The exact command line of each change. The plan shows these, the local executor runs them, and the privileged
 * helper builds them itself from a validated op, so what the technician reviewed is what runs.
 */
export function commandFor(op: NetworkOp): string[] {
  switch (op.op) {
    case 'bridge-create':
      return ['ip', 'link', 'add', 'name', op.bridge, 'type', 'bridge'];
    case 'bridge-delete':
      // `dev` first, so a bridge named like a keyword of ip (group, type, …) is still read as a name.
      return ['ip', 'link', 'delete', 'dev', op.bridge, 'type', 'bridge'];
    case 'ovs-bridge-create':
      return ['ovs-vsctl', 'add-br', op.bridge];
    case 'ovs-bridge-delete':
      return ['ovs-vsctl', '--if-exists', 'del-br', op.bridge];
    case 'ovs-port-add':
      return ['ovs-vsctl', 'add-port', op.bridge, op.device];
    case 'ovs-port-delete':
      return ['ovs-vsctl', '--if-exists', 'del-port', op.bridge, op.device];
    case 'set-master':
      return ['ip', 'link', 'set', 'dev', op.device, 'master', op.master];
    case 'set-nomaster':
      return ['ip', 'link', 'set', 'dev', op.device, 'nomaster'];
    case 'set-up':
      return ['ip', 'link', 'set', 'dev', op.device, 'up'];
    case 'set-down':
      return ['ip', 'link', 'set', 'dev', op.device, 'down'];
    case 'address-add':
      return [
        'ip', 'addr', 'add', `${op.address}/${op.prefixLength}`,
        ...(op.broadcast ? ['broadcast', op.broadcast] : []),
        'scope', op.scope,
        ...(op.label && op.label !== op.device ? ['label', op.label] : []),
        ...(op.validLifetime !== null ? ['valid_lft', String(op.validLifetime), 'preferred_lft', String(op.preferredLifetime ?? 0)] : []),
        'dev', op.device,
      ];
    case 'address-delete':
      return ['ip', 'addr', 'del', `${op.address}/${op.prefixLength}`, 'dev', op.device];
    case 'route-add':
      return [
        'ip', 'route', 'add', op.destination,
        ...(op.gateway ? ['via', op.gateway] : []),
        ...(op.protocol ? ['proto', op.protocol] : []),
        ...(op.scope ? ['scope', op.scope] : []),
        ...(op.metric !== null ? ['metric', String(op.metric)] : []),
        ...(op.source ? ['src', op.source] : []),
        'dev', op.device,
      ];
    case 'nm-set-managed':
      return ['nmcli', 'device', 'set', op.device, 'managed', op.managed ? 'yes' : 'no'];
  }
}

export function describeOp(op: NetworkOp): string {
  switch (op.op) {
    case 'bridge-create':
      return `Create the Linux bridge ${op.bridge}`;
    case 'bridge-delete':
      return `Delete the bridge ${op.bridge}`;
    case 'ovs-bridge-create':
      return `Create the Open vSwitch bridge ${op.bridge}`;
    case 'ovs-bridge-delete':
      return `Delete the Open vSwitch bridge ${op.bridge}`;
    case 'ovs-port-add':
      return `Add ${op.device} to ${op.bridge}`;
    case 'ovs-port-delete':
      return `Take ${op.device} out of ${op.bridge}`;
    case 'set-master':
      return `Add ${op.device} to the bridge ${op.master}`;
    case 'set-nomaster':
      return `Take ${op.device} out of its bridge`;
    case 'set-up':
      return `Bring ${op.device} up`;
    case 'set-down':
      return `Bring ${op.device} down`;
    case 'address-add':
      return `Give ${op.device} the address ${op.address}/${op.prefixLength}`;
    case 'address-delete':
      return `Remove ${op.address}/${op.prefixLength} from ${op.device}`;
    case 'route-add':
      return `Restore the route to ${op.destination}${op.gateway ? ` via ${op.gateway}` : ''} on ${op.device}`;
    case 'nm-set-managed':
      return op.managed
        ? `Hand ${op.device} back to NetworkManager`
        : `Tell NetworkManager to leave ${op.device} alone while Rackboot uses it`;
  }
}

export function stepFor(op: NetworkOp): { op: NetworkOp; command: string[]; description: string } {
  return { op, command: commandFor(op), description: describeOp(op) };
}

/** Quotes one argument for a POSIX shell (for the sudo fallback script the technician can copy). */
export function shellQuote(argument: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}
