import {
  AppBar,
  Box,
  Button,
  CircularProgress,
  Container,
  CssBaseline,
  IconButton,
  Paper,
  Step,
  StepButton,
  Stepper,
  ThemeProvider,
  Toolbar,
  Tooltip,
  Typography,
  createTheme,
  useMediaQuery,
} from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import { useImages } from './store/images';
import { useNodes } from './store/nodes';
import { ImageDropZone } from './components/ImageDropZone';
import { SetupCheck } from './components/SetupCheck';
import { BmcStep } from './steps/BmcStep';
import { BootStep } from './steps/BootStep';
import { ImageStep } from './steps/ImageStep';
import { MacStep } from './steps/MacStep';
import { NetworkStep } from './steps/NetworkStep';
import { STEPS, useWizard } from './store/wizard';

type ThemeChoice = 'light' | 'dark';

export function App(): React.JSX.Element {
  const prefersDark = useMediaQuery('(prefers-color-scheme: dark)');
  const [themeChoice, setThemeChoice] = useState<ThemeChoice | null>(null);
  const mode: ThemeChoice = themeChoice ?? (prefersDark ? 'dark' : 'light');
  const theme = useMemo(() => createTheme({ palette: { mode } }), [mode]);
  const goTo = useWizard((state) => state.goTo);
  const activeLabel = useWizard((state) => state.active);
  const active = STEPS.findIndex((entry) => entry.label === activeLabel);
  const setActive = (index: number): void => goTo(STEPS[index]!.label);
  const step = STEPS[active]!;
  const setupOpen = useWizard((state) => state.setupOpen);
  const showSetup = useWizard((state) => state.showSetup);
  const nodesSettled = useNodes((state) => state.loaded || state.loadError !== null);
  const imagesLoaded = useImages((state) => state.loaded);
  const noServers = useNodes((state) => state.nodes.length === 0);
  const noImages = useImages((state) => state.images.length === 0);
  const emptyApp = noServers && noImages;
  const [firstLoad, setFirstLoad] = useState(true);
  // The steps show once the page will not move under them: a click aimed at a step or a button while the setup
  // check opened above it used to land on whatever slid there.
  const [stepsShown, setStepsShown] = useState(false);

  // An empty app opens with what a deploy needs; afterwards the check waits for "Check setup".
  useEffect(() => {
    if (!nodesSettled || !imagesLoaded || !firstLoad) return;
    setFirstLoad(false);
    if (emptyApp) showSetup(true);
  }, [nodesSettled, imagesLoaded, firstLoad, emptyApp, showSetup]);
  // Also when the technician hides the check before it has answered.
  useEffect(() => {
    if (!firstLoad && !setupOpen) setStepsShown(true);
  }, [firstLoad, setupOpen]);

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <AppBar position="static" color="primary" enableColorOnDark>
        <Toolbar variant="dense">
          <Typography variant="h6" component="h1" sx={{ flexGrow: 1 }}>
            Rackboot
          </Typography>
          <Button color="inherit" onClick={() => showSetup(true)} disabled={setupOpen}>
            Check setup
          </Button>
          <Tooltip title={`Switch to ${mode === 'dark' ? 'light' : 'dark'} theme`}>
            <IconButton
              color="inherit"
              aria-label={`Switch to ${mode === 'dark' ? 'light' : 'dark'} theme`}
              onClick={() => setThemeChoice(mode === 'dark' ? 'light' : 'dark')}
            >
              {mode === 'dark' ? '☀' : '☾'}
            </IconButton>
          </Tooltip>
        </Toolbar>
      </AppBar>
      <ImageDropZone />
      <Container maxWidth="lg" sx={{ py: 3 }}>
        {setupOpen && <SetupCheck onChecked={() => setStepsShown(true)} />}
        {!stepsShown && (
          <Box role="status" aria-label="Loading" sx={{ display: 'flex', justifyContent: 'center', py: 6 }}>
            <CircularProgress />
          </Box>
        )}
        {stepsShown && (
          <>
            <Stepper nonLinear activeStep={active} aria-label="Provisioning steps" sx={{ mb: 3 }}>
              {STEPS.map((entry, index) => (
                <Step key={entry.label} completed={false}>
                  <StepButton onClick={() => setActive(index)}>{entry.label}</StepButton>
                </Step>
              ))}
            </Stepper>
            <Paper component="main" sx={{ p: 3 }} aria-labelledby="step-title">
              <Typography id="step-title" variant="h5" component="h2" gutterBottom>
                {step.title}
              </Typography>
              {active === 0 ? (
                <BmcStep />
              ) : active === 1 ? (
                <MacStep />
              ) : active === 2 ? (
                <NetworkStep />
              ) : active === 3 ? (
                <ImageStep />
              ) : (
                <BootStep />
              )}
              <Box sx={{ display: 'flex', justifyContent: 'space-between', mt: 3 }}>
                <Button disabled={active === 0} onClick={() => setActive(active - 1)}>
                  Back
                </Button>
                <Button variant="contained" disabled={active === STEPS.length - 1} onClick={() => setActive(active + 1)}>
                  Next
                </Button>
              </Box>
            </Paper>
          </>
        )}
      </Container>
    </ThemeProvider>
  );
}
