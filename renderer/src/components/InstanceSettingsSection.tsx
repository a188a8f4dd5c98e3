import { Box, Button, FormControlLabel, MenuItem, Radio, RadioGroup, Stack, Switch, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { instanceSettingsSchema, type InstanceSettings, type LaptopSshKey } from '../../../shared/instance';
import { useClient } from '../api/context';
import { errorText } from '../api/client';

/** The instance settings as the operator types them: text fields, turned into InstanceSettings on save. */
export interface InstanceForm {
  enabled: boolean;
  hostname: string;
  sshKeys: string;
  network: 'dhcp' | 'static';
  address: string;
  prefixLength: string;
  gateway: string;
  dns: string;
  userData: string;
  upSignal: 'ssh' | 'serial';
  console: 'ttyS0' | 'ttyS1';
  speed: string;
}

export type InstanceErrors = Partial<Record<keyof InstanceForm, string>>;

export function instanceForm(settings: InstanceSettings | null, nodeName: string): InstanceForm {
  const network = settings?.network;
  const upSignal = settings?.upSignal;
  return {
    enabled: settings !== null,
    hostname: settings?.hostname ?? nodeName,
    sshKeys: settings?.sshKeys.join('\n') ?? '',
    network: network?.kind ?? 'dhcp',
    address: network?.kind === 'static' ? network.address : '',
    prefixLength: network?.kind === 'static' ? String(network.prefixLength) : '24',
    gateway: network?.kind === 'static' ? (network.gateway ?? '') : '',
    dns: network?.kind === 'static' ? network.dns.join(', ') : '',
    userData: settings?.userData ?? '',
    upSignal: upSignal?.kind ?? 'ssh',
    console: upSignal?.kind === 'serial' ? upSignal.console : 'ttyS0',
    speed: upSignal?.kind === 'serial' ? String(upSignal.speed) : '115200',
  };
}

const FIELD_OF_PATH: Record<string, keyof InstanceForm> = {
  hostname: 'hostname',
  sshKeys: 'sshKeys',
  'network.address': 'address',
  'network.prefixLength': 'prefixLength',
  'network.gateway': 'gateway',
  'network.dns': 'dns',
  userData: 'userData',
};

/** The settings to save (null: no config drive), or the problems per field, checked with the core's own schema. */
export function parseInstanceForm(form: InstanceForm): { ok: true; value: InstanceSettings | null } | { ok: false; errors: InstanceErrors } {
  if (!form.enabled) return { ok: true, value: null };
  const parsed = instanceSettingsSchema.safeParse({
    hostname: form.hostname,
    sshKeys: form.sshKeys.split('\n').map((line) => line.trim()).filter((line) => line !== ''),
    network:
      form.network === 'dhcp'
        ? { kind: 'dhcp' }
        : {
            kind: 'static',
            address: form.address,
            prefixLength: Number(form.prefixLength),
            gateway: form.gateway.trim() === '' ? null : form.gateway,
            dns: form.dns.split(/[\s,]+/).filter((entry) => entry !== ''),
          },
    userData: form.userData,
    upSignal: form.upSignal === 'ssh' ? { kind: 'ssh' } : { kind: 'serial', console: form.console, speed: Number(form.speed) },
  });
  if (parsed.success) return { ok: true, value: parsed.data };
  const errors: InstanceErrors = {};
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((part) => typeof part === 'string').join('.');
    const key = FIELD_OF_PATH[path] ?? FIELD_OF_PATH[path.split('.').slice(0, 2).join('.')] ?? 'hostname';
    errors[key] ??= issue.message;
  }
  return { ok: false, errors };
}

interface Props {
  form: InstanceForm;
  errors: InstanceErrors;
  onChange(form: InstanceForm): void;
}

/** Hostname, SSH keys, network and user-data for the installed OS, written to a config drive at deploy time. */
/** A public key file is one line of a few hundred bytes; a bigger file is not one (a private key, a log…). */
const MAX_KEY_FILE_BYTES = 16 * 1024;

export function InstanceSettingsSection({ form, errors, onChange }: Props): React.JSX.Element {
  const client = useClient();
  const [laptopKeys, setLaptopKeys] = useState<LaptopSshKey[] | null>(null);
  const [keysProblem, setKeysProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!form.enabled || laptopKeys !== null) return;
    client.call('instance.sshKeys', {}).then(setLaptopKeys, (error: unknown) => setKeysProblem(errorText(error)));
  }, [client, form.enabled, laptopKeys]);

  const set = <K extends keyof InstanceForm>(key: K, value: InstanceForm[K]): void => onChange({ ...form, [key]: value });
  const text = (key: keyof InstanceForm, helper = ' ') => ({
    value: form[key] as string,
    onChange: (event: React.ChangeEvent<HTMLInputElement>) => set(key, event.target.value as never),
    error: Boolean(errors[key]),
    helperText: errors[key] ?? helper,
  });
  const addKeys = (keys: string[]): void => {
    const lines = form.sshKeys.split('\n').map((line) => line.trim()).filter((line) => line !== '');
    set('sshKeys', [...lines, ...keys.filter((key) => !lines.includes(key))].join('\n'));
  };
  const addKey = (key: string): void => addKeys([key]);
  // A key file from anywhere (the desktop's open dialog, the browser's file picker): read here, as it is a few hundred
  // bytes of public text; what it holds is checked with the rest of the form when the node is saved.
  const addKeyFile = async (input: HTMLInputElement): Promise<void> => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    if (file.size > MAX_KEY_FILE_BYTES) {
      setKeysProblem(`${file.name} is ${file.size} bytes: an SSH public key file (like id_ed25519.pub) is a few hundred. Choose the .pub file, never the private key.`);
      return;
    }
    const keys = (await file.text()).split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    if (keys.length === 0) {
      setKeysProblem(`${file.name} holds no key: choose an SSH public key file (like id_ed25519.pub).`);
      return;
    }
    setKeysProblem(null);
    addKeys(keys);
  };

  return (
    <Box component="section" aria-label="Installed OS">
      <FormControlLabel
        control={<Switch checked={form.enabled} onChange={(event) => set('enabled', event.target.checked)} />}
        label="Give the installed OS its identity (config drive)"
      />
      {form.enabled && (
        <Stack spacing={1} sx={{ pl: 1 }}>
          <TextField label="Host name" {...text('hostname')} />
          <TextField label="SSH public keys (one per line)" multiline minRows={2} {...text('sshKeys', 'Logins for the default user of the cloud image')} />
          {laptopKeys && laptopKeys.length > 0 && (
            <Stack direction="row" spacing={1} sx={{ flexWrap: 'wrap' }}>
              {laptopKeys.map((key) => (
                <Button key={key.file} size="small" variant="outlined" onClick={() => addKey(key.key)} title={key.comment}>
                  Add {key.file}
                </Button>
              ))}
            </Stack>
          )}
          <Box>
            <Button size="small" component="label">
              Add a key file…
              <input hidden type="file" accept=".pub,text/plain" aria-label="SSH public key file" onChange={(event) => void addKeyFile(event.target)} />
            </Button>
          </Box>
          {laptopKeys?.length === 0 && <Typography variant="caption">No public keys in ~/.ssh on this laptop.</Typography>}
          {keysProblem && <Typography variant="caption" color="error">{keysProblem}</Typography>}
          <RadioGroup row value={form.network} onChange={(event) => set('network', event.target.value as InstanceForm['network'])} aria-label="Network of the installed OS">
            <FormControlLabel value="dhcp" control={<Radio />} label="DHCP" />
            <FormControlLabel value="static" control={<Radio />} label="Static address" />
          </RadioGroup>
          {form.network === 'static' && (
            <>
              <Stack direction="row" spacing={2}>
                <TextField label="Address" sx={{ flex: 3 }} placeholder="10.0.0.7" {...text('address')} />
                <TextField label="Prefix length" sx={{ flex: 1 }} inputMode="numeric" {...text('prefixLength')} />
              </Stack>
              <Stack direction="row" spacing={2}>
                <TextField label="Gateway (optional)" sx={{ flex: 1 }} {...text('gateway')} />
                <TextField label="DNS servers" sx={{ flex: 1 }} placeholder="10.0.0.1, 9.9.9.9" {...text('dns')} />
              </Stack>
            </>
          )}
          <TextField label="User-data (optional)" multiline minRows={2} placeholder="#cloud-config" {...text('userData', 'A #cloud-config is checked as YAML before the deploy')} slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: 'monospace' } } }} />
          <Stack direction="row" spacing={2}>
            <TextField select label="Deployed when" sx={{ flex: 2 }} value={form.upSignal} onChange={(event) => set('upSignal', event.target.value as InstanceForm['upSignal'])} helperText=" ">
              <MenuItem value="ssh">SSH answers on port 22</MenuItem>
              <MenuItem value="serial">A login prompt shows on the serial console</MenuItem>
            </TextField>
            {form.upSignal === 'serial' && (
              <>
                <TextField select label="Console" sx={{ flex: 1 }} value={form.console} onChange={(event) => set('console', event.target.value as InstanceForm['console'])} helperText=" ">
                  <MenuItem value="ttyS0">ttyS0</MenuItem>
                  <MenuItem value="ttyS1">ttyS1</MenuItem>
                </TextField>
                <TextField select label="Speed" sx={{ flex: 1 }} value={form.speed} onChange={(event) => set('speed', event.target.value)} helperText=" ">
                  {['9600', '19200', '38400', '57600', '115200'].map((speed) => (
                    <MenuItem key={speed} value={speed}>
                      {speed}
                    </MenuItem>
                  ))}
                </TextField>
              </>
            )}
          </Stack>
        </Stack>
      )}
    </Box>
  );
}
