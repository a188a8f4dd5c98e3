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
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { NodeView } from '../../../shared/nodes';
import { useLog, type LogLine } from '../store/log';

const ROW_HEIGHT = 20;
const OVERSCAN = 10;
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

const LEVEL_COLOR: Record<Level, string> = { debug: 'text.disabled', info: 'text.primary', warn: 'warning.main', error: 'error.main' };

/**
 * Row styles live once on the list (one emotion class); a row carries only its position and level class, and the
 * list's height is an inline style, so scrolling through a flood adds no CSS rules.
 */
const LIST_SX = {
  position: 'relative',
  '& > div': { position: 'absolute', left: 0, right: 0, height: ROW_HEIGHT, lineHeight: `${ROW_HEIGHT}px`, px: 1, whiteSpace: 'pre' },
  ...Object.fromEntries(LEVELS.map((level) => [`& > .log-${level}`, { color: LEVEL_COLOR[level] }])),
} as const;

function formatLine(line: LogLine, nodeNames: Map<string, string>): string {
  const node = line.nodeId ? ` [${nodeNames.get(line.nodeId) ?? line.nodeId}]` : '';
  return `${line.time.slice(11, 23)} ${line.level.toUpperCase().padEnd(5)} ${line.source}${node}: ${line.message}`;
}

interface RowsProps {
  lines: LogLine[];
  first: number;
  last: number;
  nodeNames: Map<string, string>;
}

/** The rows in view, as plain elements: a flood re-renders these many times a second. */
const LogRows = memo(function LogRows({ lines, first, last, nodeNames }: RowsProps): React.JSX.Element {
  return (
    <Box sx={LIST_SX} style={{ height: lines.length * ROW_HEIGHT }}>
      {lines.slice(first, last).map((line, index) => (
        <div key={line.seq} className={`log-${line.level}`} style={{ top: (first + index) * ROW_HEIGHT }}>
          {formatLine(line, nodeNames)}
        </div>
      ))}
    </Box>
  );
});

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
  /** The top row while not following; when following, the view is pinned to the end and this is not tracked. */
  const [topRow, setTopRow] = useState(0);
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
  const visibleNow = useRef(visible);

  // Before paint, so a followed flood never shows a frame scrolled short of the end.
  useLayoutEffect(() => {
    visibleNow.current = visible;
    const element = viewport.current;
    if (follow && element) element.scrollTop = element.scrollHeight;
  }, [visible, follow]);

  const rowsInView = Math.ceil(height / ROW_HEIGHT);
  const top = follow ? Math.max(0, visible.length - rowsInView) : topRow;
  const first = Math.max(0, top - OVERSCAN);
  const last = Math.min(visible.length, top + rowsInView + OVERSCAN);

  const onFollow = useCallback((checked: boolean) => {
    if (!checked) setTopRow(Math.floor((viewport.current?.scrollTop ?? 0) / ROW_HEIGHT));
    setFollow(checked);
  }, []);
  const copy = useCallback(() => {
    void navigator.clipboard.writeText(visibleNow.current.map((line) => formatLine(line, nodeNames)).join('\n'));
  }, [nodeNames]);

  // The controls do not change with the lines: built once per filter change, not once per frame of a flood.
  const controls = useMemo(
    () => (
      <>
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
        <FormControlLabel control={<Switch checked={follow} onChange={(event) => onFollow(event.target.checked)} />} label="Follow" />
        <Button size="small" onClick={copy}>
          Copy
        </Button>
      </>
    ),
    [nodes, nodeFilter, minLevel, search, follow, onFollow, copy],
  );

  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
        {controls}
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
          const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_HEIGHT * 2;
          if (follow && atEnd) return;
          if (follow) setFollow(false);
          setTopRow(Math.floor(element.scrollTop / ROW_HEIGHT));
        }}
        sx={{ height, overflowY: 'auto', fontFamily: 'monospace', fontSize: 12, bgcolor: 'action.hover', borderRadius: 1 }}
      >
        <LogRows lines={visible} first={first} last={last} nodeNames={nodeNames} />
      </Box>
    </Stack>
  );
}
