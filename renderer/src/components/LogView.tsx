import {
  Box,
  Button,
  FormControlLabel,
  MenuItem,
  Stack,
  Switch,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { NodeView } from '../../../shared/nodes';
import { useLog, type LogLine } from '../store/log';

const ROW_HEIGHT = 20;
const OVERSCAN = 10;
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

const LEVEL_COLOR: Record<Level, string> = { debug: 'text.disabled', info: 'text.primary', warn: 'warning.main', error: 'error.main' };

function formatLine(line: LogLine, nodeNames: Map<string, string>): string {
  const node = line.nodeId ? ` [${nodeNames.get(line.nodeId) ?? line.nodeId}]` : '';
  return `${line.time.slice(11, 23)} ${line.level.toUpperCase().padEnd(5)} ${line.source}${node}: ${line.message}`;
}

/**
 * The live log: only the rows in view are rendered, so a flood of lines costs the same as a trickle. Follows the end
 * unless the operator scrolls up or pauses it.
 */
export function LogView({ nodes, height = 360 }: { nodes: NodeView[]; height?: number }): React.JSX.Element {
  const lines = useLog((state) => state.lines);
  const [nodeFilter, setNodeFilter] = useState<string>('all');
  const [minLevel, setMinLevel] = useState<Level>('debug');
  const [search, setSearch] = useState('');
  const [follow, setFollow] = useState(true);
  const [scrollTop, setScrollTop] = useState(0);
  const viewport = useRef<HTMLDivElement>(null);
  const nodeNames = useMemo(() => new Map(nodes.map((node) => [node.id, node.name])), [nodes]);

  const visible = useMemo(() => {
    const min = LEVELS.indexOf(minLevel);
    const needle = search.trim().toLowerCase();
    if (nodeFilter === 'all' && min === 0 && needle === '') return lines;
    return lines.filter(
      (line) =>
        (nodeFilter === 'all' || line.nodeId === nodeFilter) &&
        LEVELS.indexOf(line.level) >= min &&
        (needle === '' || line.message.toLowerCase().includes(needle) || line.source.toLowerCase().includes(needle)),
    );
  }, [lines, nodeFilter, minLevel, search]);

  useEffect(() => {
    const element = viewport.current;
    if (follow && element) element.scrollTop = element.scrollHeight;
  }, [visible, follow]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(visible.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);

  const copy = (): void => {
    void navigator.clipboard.writeText(visible.map((line) => formatLine(line, nodeNames)).join('\n'));
  };

  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
        <TextField select size="small" label="Server" value={nodeFilter} onChange={(event) => setNodeFilter(event.target.value)} sx={{ minWidth: 160 }}>
          <MenuItem value="all">All servers</MenuItem>
          {nodes.map((node) => (
            <MenuItem key={node.id} value={node.id}>
              {node.name}
            </MenuItem>
          ))}
        </TextField>
        <TextField select size="small" label="Level" value={minLevel} onChange={(event) => setMinLevel(event.target.value as Level)} sx={{ minWidth: 120 }}>
          {LEVELS.map((level) => (
            <MenuItem key={level} value={level}>
              {level} and above
            </MenuItem>
          ))}
        </TextField>
        <TextField size="small" label="Search log" value={search} onChange={(event) => setSearch(event.target.value)} />
        <FormControlLabel control={<Switch checked={follow} onChange={(event) => setFollow(event.target.checked)} />} label="Follow" />
        <Button size="small" onClick={copy}>
          Copy
        </Button>
        <Typography variant="caption" color="text.secondary" aria-live="off" data-testid="log-count">
          {visible.length} lines
        </Typography>
      </Stack>
      <Box
        ref={viewport}
        role="log"
        aria-label="Live log"
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          setScrollTop(element.scrollTop);
          const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_HEIGHT * 2;
          if (!atEnd && follow) setFollow(false);
        }}
        sx={{ height, overflowY: 'auto', fontFamily: 'monospace', fontSize: 12, bgcolor: 'action.hover', borderRadius: 1 }}
      >
        <Box sx={{ height: visible.length * ROW_HEIGHT, position: 'relative' }}>
          {visible.slice(first, last).map((line, index) => (
            <Box
              key={line.seq}
              sx={{
                position: 'absolute',
                top: (first + index) * ROW_HEIGHT,
                height: ROW_HEIGHT,
                lineHeight: `${ROW_HEIGHT}px`,
                px: 1,
                whiteSpace: 'pre',
                color: LEVEL_COLOR[line.level],
              }}
            >
              {formatLine(line, nodeNames)}
            </Box>
          ))}
        </Box>
      </Box>
    </Stack>
  );
}
