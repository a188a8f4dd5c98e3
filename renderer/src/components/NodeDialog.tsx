import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, TextField } from '@mui/material';
import { useState } from 'react';
import { bmcPasswordSchema, nodeInputSchema, type NodeView } from '../../../shared/nodes';
import type { BmcProtocol, TlsCertificate, TlsTrust } from '../../../shared/redfish';
import { useClient } from '../api/context';
import { ConnectionSummary, type ConnectionTest } from './ConnectionCell';
import { errorText } from '../api/client';
import { instanceForm, InstanceSettingsSection, parseInstanceForm, type InstanceErrors, type InstanceForm } from './InstanceSettingsSection';

interface Props {
  /** The node being edited, or null to add a new one. */
  node: NodeView | null;
  /** A BMC address to start a new node with (from discovery). */
  initialAddress?: string | undefined;
  /** The protocol discovery saw answer at that address. */
  initialProtocol?: BmcProtocol | undefined;
  onClose(): void;
}

interface FormValues {
  name: string;
  bmcAddress: string;
  bmcPort: string;
  bmcProtocol: BmcProtocol;
  redfishPort: string;
  bmcUser: string;
  bmcPassword: string;
  mac: string;
  notes: string;
}

type FieldErrors = Partial<Record<keyof FormValues, string>>;

function initialValues(node: NodeView | null, initialAddress: string | undefined, initialProtocol: BmcProtocol | undefined): FormValues {
  return {
    name: node?.name ?? '',
    bmcAddress: node?.bmcAddress ?? initialAddress ?? '',
    bmcPort: String(node?.bmcPort ?? 623),
    bmcProtocol: node?.bmcProtocol ?? initialProtocol ?? 'auto',
    redfishPort: String(node?.redfishPort ?? 443),
    bmcUser: node?.bmcUser ?? '',
    bmcPassword: '',
    mac: node?.mac ?? '',
    notes: node?.notes ?? '',
  };
}

/** The same schema the core enforces, so the operator sees a field's problem before anything is sent. */
function validate(values: FormValues, editing: boolean, tlsTrust: TlsTrust | null) {
  const schema = editing ? nodeInputSchema.extend({ bmcPassword: bmcPasswordSchema.optional() }) : nodeInputSchema;
  return schema.safeParse({
    name: values.name,
    bmcAddress: values.bmcAddress,
    bmcPort: Number(values.bmcPort),
    bmcProtocol: values.bmcProtocol,
    redfishPort: Number(values.redfishPort),
    tlsTrust,
    bmcUser: values.bmcUser,
    bmcPassword: editing && values.bmcPassword === '' ? undefined : values.bmcPassword,
    mac: values.mac.trim() === '' ? null : values.mac,
    notes: values.notes,
  });
}

export function NodeDialog({ node, initialAddress, initialProtocol, onClose }: Props): React.JSX.Element {
  const client = useClient();
  const editing = node !== null;
  const [values, setValues] = useState<FormValues>(() => initialValues(node, initialAddress, initialProtocol));
  const [connection, setConnection] = useState<ConnectionTest | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [instance, setInstance] = useState<InstanceForm>(() => instanceForm(node?.instance ?? null, node?.name ?? ''));
  const [instanceErrors, setInstanceErrors] = useState<InstanceErrors>({});
  /** The certificate trust as the operator left it in this dialog; saved with the node. */
  const [tlsTrust, setTlsTrust] = useState<TlsTrust | null>(node?.tlsTrust ?? null);

  const field = (key: keyof FormValues) => ({
    value: values[key],
    onChange: (event: React.ChangeEvent<HTMLInputElement>) => setValues({ ...values, [key]: event.target.value }),
    error: Boolean(errors[key]),
    helperText: errors[key] ?? ' ',
  });

  const submit = async (): Promise<void> => {
    const parsed = validate(values, editing, tlsTrust);
    const instanceParsed = parseInstanceForm(instance);
    setInstanceErrors(instanceParsed.ok ? {} : instanceParsed.errors);
    if (!parsed.success) {
      const next: FieldErrors = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as keyof FormValues;
        next[key] ??= issue.message;
      }
      setErrors(next);
      return;
    }
    setErrors({});
    if (!instanceParsed.ok) return;
    setBusy(true);
    try {
      if (node) {
        const { bmcPassword, ...rest } = parsed.data;
        await client.call('nodes.update', {
          id: node.id,
          changes: bmcPassword === undefined ? { ...rest, instance: instanceParsed.value } : { ...rest, instance: instanceParsed.value, bmcPassword },
        });
      } else {
        await client.call('nodes.add', { ...parsed.data, instance: instanceParsed.value, bmcPassword: parsed.data.bmcPassword ?? '' });
      }
      onClose();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setBusy(false);
    }
  };

  /** Tries the typed credentials before anything is saved (editing with an empty password tests the stored one). */
  const testConnection = async (trust: TlsTrust | null = tlsTrust): Promise<void> => {
    setConnection({ state: 'running' });
    try {
      const result =
        node && values.bmcPassword === ''
          ? await client.call('bmc.test', { nodeId: node.id })
          : await client.call('bmc.testCredentials', {
              address: values.bmcAddress.trim(),
              port: Number(values.bmcPort),
              user: values.bmcUser,
              password: values.bmcPassword,
              protocol: values.bmcProtocol,
              redfishPort: Number(values.redfishPort),
              tlsTrust: trust,
            });
      setConnection({ state: 'ok', result });
    } catch (error) {
      setConnection({ state: 'error', message: errorText(error) });
    }
  };

  /** Pins the certificate the test showed; an enrolled node keeps it at once, so its stored password can be tested. */
  const trust = async (certificate: TlsCertificate): Promise<void> => {
    const pin: TlsTrust = { kind: 'pin', ...certificate };
    setTlsTrust(pin);
    try {
      if (node) await client.call('nodes.update', { id: node.id, changes: { tlsTrust: pin } });
      await testConnection(pin);
    } catch (error) {
      setConnection({ state: 'error', message: errorText(error) });
    }
  };

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="node-dialog-title">
      <DialogTitle id="node-dialog-title">{editing ? `Edit ${node.name}` : 'Add a server'}</DialogTitle>
      <DialogContent>
        <Stack
          component="form"
          spacing={1}
          sx={{ pt: 1 }}
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <TextField label="Name" autoFocus required {...field('name')} />
          <Stack direction="row" spacing={2}>
            <TextField label="BMC address" required sx={{ flex: 3 }} placeholder="10.1.91.4" {...field('bmcAddress')} />
          </Stack>
          <Stack direction="row" spacing={2}>
            <TextField
              select
              label="BMC protocol"
              sx={{ flex: 2 }}
              value={values.bmcProtocol}
              onChange={(event) => setValues({ ...values, bmcProtocol: event.target.value as BmcProtocol })}
              helperText={values.bmcProtocol === 'redfish' ? 'No serial console over Redfish: SOL is IPMI only' : 'Auto tries Redfish (HTTPS), then IPMI'}
            >
              <MenuItem value="auto">Auto (Redfish, then IPMI)</MenuItem>
              <MenuItem value="redfish">Redfish</MenuItem>
              <MenuItem value="ipmi">IPMI</MenuItem>
            </TextField>
            <TextField label="BMC port" sx={{ flex: 1 }} inputMode="numeric" {...field('bmcPort')} helperText={errors.bmcPort ?? 'IPMI (UDP)'} />
            <TextField label="Redfish port" sx={{ flex: 1 }} inputMode="numeric" {...field('redfishPort')} />
          </Stack>
          <Stack direction="row" spacing={2}>
            <TextField label="BMC user" required sx={{ flex: 1 }} autoComplete="off" {...field('bmcUser')} />
            <TextField
              label="BMC password"
              type="password"
              sx={{ flex: 1 }}
              autoComplete="new-password"
              {...field('bmcPassword')}
              helperText={errors.bmcPassword ?? (editing ? 'Leave empty to keep the stored password' : ' ')}
            />
          </Stack>
          <TextField label="MAC address (optional)" placeholder="00:1b:24:78:4c:b2" {...field('mac')} />
          <TextField label="Notes" multiline minRows={2} {...field('notes')} />
          <InstanceSettingsSection form={instance} errors={instanceErrors} onChange={setInstance} />
          {connection && <ConnectionSummary test={connection} onTrust={(certificate) => void trust(certificate)} />}
          {failure && <Alert severity="error">{failure}</Alert>}
          <button type="submit" hidden aria-hidden tabIndex={-1} />
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button
          onClick={() => void testConnection()}
          disabled={connection?.state === 'running' || values.bmcAddress.trim() === '' || values.bmcUser === ''}
        >
          Test connection
        </Button>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={busy} onClick={() => void submit()}>
          {editing ? 'Save' : 'Add server'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
