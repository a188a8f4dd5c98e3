import {
  Alert,
  Box,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  FormControlLabel,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import { rootDeviceHintsSchema, type Cleaning, type Inventory, type RootDeviceHints } from '../../../shared/inventory';
import { describeDisk, eraseQuestion } from '../../../shared/inventory-text';
import type { NodeUpdate, NodeView } from '../../../shared/nodes';
import { chooseRootDisk, describeHints, type DiskChoice as Choice } from '../../../shared/root-device';
import { errorText } from '../api/client';
import { useClient } from '../api/context';
import { useDeploy } from '../store/deploy';
import { HINT_TEXT_FIELDS, hintFields, hintsFromFields, type HintFields } from './disk-hints';

const HINT_LABELS: Record<(typeof HINT_TEXT_FIELDS)[number], { label: string; example: string }> = {
  name: { label: 'Name', example: 'sda or /dev/sda' },
  byPath: { label: 'By path', example: 'pci-0000:00:1f.2-ata-1' },
  size: { label: 'Size (GiB)', example: '>= 100, <= 2000 or 480' },
  model: { label: 'Model', example: 'MZ7LH480HAHQ' },
  vendor: { label: 'Vendor', example: 'ATA' },
  serial: { label: 'Serial', example: 'S45NNE0M' },
  wwn: { label: 'WWN', example: '0x5002538e00000000' },
  hctl: { label: 'HCTL', example: '0:0:0:0' },
};

const CLEANING_CHOICES: { value: Cleaning; label: string }[] = [
  { value: 'none', label: 'None' },
  { value: 'target', label: 'Wipe the target disk (partition tables and signatures, start and end)' },
  { value: 'all-disks', label: 'Wipe every disk of the server (partition tables and signatures)' },
];

/**
 * The hints a deploy of this node goes by, as the engine takes them: the node's own, else the disk named in the deploy
 * settings for every node ('auto': none, the default rule).
 */
function hintsInForce(node: NodeView, settingsDisk: string): RootDeviceHints | null {
  return node.rootDeviceHints ?? (settingsDisk === 'auto' ? null : { name: settingsDisk });
}

/** The disk a deploy of this node writes to, in the words the Boot step and the details panel share. */
export function diskChoiceText(node: NodeView, inventory: Inventory | null, settingsDisk: string): { choice: Choice | null; text: string } {
  const hints = hintsInForce(node, settingsDisk);
  if (!inventory) {
    const rule = hints ? `the disk matching ${describeHints(hints)}` : 'the smallest fixed disk of at least 4 GiB';
    return { choice: null, text: `Chosen once the agent has inspected the server: ${rule}.` };
  }
  const choice = chooseRootDisk(inventory.disks, hints);
  return { choice, text: choice.ok ? `Will write to ${choice.disk.name} (${describeDisk(choice.disk)}): ${choice.why}` : `No disk to write to: ${choice.why}` };
}

interface Props {
  node: NodeView;
  inventory: Inventory | null;
}

/** Which disk the OS goes to, whether its data may be erased, and the cleaning before the write. */
export function DiskChoice({ node, inventory }: Props): React.JSX.Element {
  const client = useClient();
  const [fields, setFields] = useState<HintFields>(() => hintFields(node.rootDeviceHints));
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<keyof HintFields, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [confirmingErase, setConfirmingErase] = useState(false);
  const settingsDisk = useDeploy((state) => state.settings?.disk ?? 'auto');
  const { choice, text } = diskChoiceText(node, inventory, settingsDisk);

  const update = async (changes: NodeUpdate['changes']): Promise<boolean> => {
    setFailure(null);
    try {
      await client.call('nodes.update', { id: node.id, changes });
      return true;
    } catch (error) {
      setFailure(errorText(error));
      return false;
    }
  };

  /** New hints point at a disk the erase confirmation did not name: it is asked again. */
  const setHints = async (hints: RootDeviceHints | null): Promise<void> => {
    if (await update({ rootDeviceHints: hints, eraseTargetDisk: false })) setFields(hintFields(hints));
  };

  const saveTyped = async (): Promise<void> => {
    const typed = hintsFromFields(fields);
    const parsed = rootDeviceHintsSchema.safeParse(typed);
    if (!parsed.success) {
      const errors: Partial<Record<keyof HintFields, string>> = {};
      for (const issue of parsed.error.issues) {
        const field = issue.path[0] as keyof HintFields | undefined;
        if (field && !errors[field]) errors[field] = issue.message;
      }
      setFieldErrors(errors);
      return;
    }
    setFieldErrors({});
    await setHints(Object.keys(parsed.data).length > 0 ? parsed.data : null);
  };

  const eraseText = choice?.ok
    ? eraseQuestion(choice.disk)
    : 'The server has not been inspected yet, so what its disk holds is unknown: whatever the chosen disk holds will be erased — erase and deploy?';

  return (
    <Stack spacing={2} aria-label="Disk choice" component="section">
      <Typography variant="subtitle1">Disk to deploy to</Typography>
      <Alert severity={choice && !choice.ok ? 'warning' : 'info'} aria-label="Disk preview">
        {text}
      </Alert>
      <Typography variant="body2">
        {node.rootDeviceHints
          ? `Root device hints: ${describeHints(node.rootDeviceHints)}`
          : settingsDisk === 'auto'
            ? 'No root device hints: the default rule chooses.'
            : `No root device hints: the deploy settings' disk (${settingsDisk}) is used.`}
        {node.rootDeviceHints && (
          <Button size="small" sx={{ ml: 1 }} onClick={() => void setHints(null)}>
            Use the default rule
          </Button>
        )}
      </Typography>
      <Box component="form" aria-label="Root device hints" onSubmit={(event) => (event.preventDefault(), void saveTyped())}>
        <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))', gap: 1 }}>
          {HINT_TEXT_FIELDS.map((key) => (
            <TextField
              key={key}
              size="small"
              label={HINT_LABELS[key].label}
              placeholder={HINT_LABELS[key].example}
              value={fields[key]}
              error={Boolean(fieldErrors[key])}
              helperText={fieldErrors[key]}
              onChange={(event) => setFields({ ...fields, [key]: event.target.value })}
            />
          ))}
          <TextField
            select
            size="small"
            label="Rotational"
            value={fields.rotational}
            onChange={(event) => setFields({ ...fields, rotational: event.target.value as HintFields['rotational'] })}
          >
            <MenuItem value="any">Either</MenuItem>
            <MenuItem value="yes">Spinning disk only</MenuItem>
            <MenuItem value="no">Solid state only</MenuItem>
          </TextField>
        </Box>
        <Button type="submit" size="small" variant="outlined" sx={{ mt: 1 }}>
          Save hints
        </Button>
      </Box>
      <FormControlLabel
        control={
          <Checkbox
            checked={node.eraseTargetDisk}
            onChange={(event) => (event.target.checked ? setConfirmingErase(true) : void update({ eraseTargetDisk: false }))}
          />
        }
        label="Erase this disk (it holds data the deploy may overwrite)"
      />
      <TextField
        select
        size="small"
        label="Cleaning before the write"
        value={node.cleaning}
        onChange={(event) => void update({ cleaning: event.target.value as Cleaning })}
        sx={{ maxWidth: 520 }}
      >
        {CLEANING_CHOICES.map((option) => (
          <MenuItem key={option.value} value={option.value}>
            {option.label}
          </MenuItem>
        ))}
      </TextField>
      {failure && <Alert severity="error">{failure}</Alert>}
      <Dialog open={confirmingErase} onClose={() => setConfirmingErase(false)} aria-labelledby="erase-title">
        <DialogTitle id="erase-title">Erase the disk of {node.name}?</DialogTitle>
        <DialogContent>
          <DialogContentText>{eraseText}</DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirmingErase(false)}>Keep the data</Button>
          <Button
            color="error"
            variant="contained"
            onClick={() => {
              setConfirmingErase(false);
              void update({ eraseTargetDisk: true });
            }}
          >
            Erase it when deploying
          </Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}
