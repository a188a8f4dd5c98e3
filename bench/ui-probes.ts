// Runs inside the page (handed to Playwright's page.evaluate, so each function must stand alone: no imports, no
// closures over this module).

/** What the page measured: frame start times, and per click on the Follow switch when it went down and when its
 * effect was painted, plus the Event Timing entries the browser reported (only those of 16 ms or more exist). */
export interface ProbeReport {
  frames: number[];
  clicks: { down: number; painted: number | null }[];
  eventTimings: { name: string; startTime: number; duration: number }[];
}

interface ProbeState extends ProbeReport {
  recording: boolean;
}

/** Starts recording every animation frame, the Event Timing entries, and the clicks on the log's Follow switch. */
export function installProbes(): void {
  const state: ProbeState = { frames: [], clicks: [], eventTimings: [], recording: true };
  (window as unknown as { uibench: ProbeState }).uibench = state;

  const onFrame = (time: number): void => {
    if (!state.recording) return;
    state.frames.push(time);
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) state.eventTimings.push({ name: entry.name, startTime: entry.startTime, duration: entry.duration });
  }).observe({ type: 'event', durationThreshold: 16 } as PerformanceObserverInit);

  const label = [...document.querySelectorAll('label')].find((candidate) => candidate.textContent?.trim() === 'Follow');
  const input = label?.querySelector('input');
  const switchBase = input?.parentElement;
  if (!input || !switchBase) throw new Error('the log view has no Follow switch');
  let expectChecked = input.checked;
  input.addEventListener(
    'pointerdown',
    (event) => {
      expectChecked = !input.checked;
      state.clicks.push({ down: event.timeStamp, painted: null });
    },
    { capture: true },
  );
  // The effect is on screen at the first paint after the switch shows its new state: the frame after the class
  // change, and a task posted from that frame's callback runs once the frame is painted.
  new MutationObserver(() => {
    const click = state.clicks.at(-1);
    if (!click || click.painted !== null || switchBase.classList.contains('Mui-checked') !== expectChecked) return;
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        click.painted = performance.now();
      };
      channel.port2.postMessage(null);
    });
  }).observe(switchBase, { attributes: true, attributeFilter: ['class'] });
}

export function stopProbes(): ProbeReport {
  const state = (window as unknown as { uibench: ProbeState }).uibench;
  state.recording = false;
  return { frames: state.frames, clicks: state.clicks, eventTimings: state.eventTimings };
}
