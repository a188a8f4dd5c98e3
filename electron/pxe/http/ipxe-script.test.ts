import { describe, expect, it } from 'vitest';
import { renderEntryScript, renderNodeScript, renderUnknownNodeScript, type BootTarget } from './ipxe-script';

const origin = 'http://10.77.0.1:8080';
const mac = '52:54:00:12:34:56';
const target: BootTarget = {
  kernelUrl: '/images/vmlinuz',
  initrdUrls: ['/images/initrd.img', 'http://mirror.example/agent.cpio.gz'],
  cmdline: 'console=ttyS0,115200  quiet',
};

describe('renderNodeScript', () => {
  it('asks our server for the boot NIC\'s drivers by the bus id iPXE knows, as one more initrd', () => {
    const result = renderNodeScript({ mac, target: { kernelUrl: '/deploy/vmlinuz', initrdUrls: ['/deploy/agent.img'], bootNicDriversUrl: '/deploy/nic-drivers.cpio', cmdline: 'quiet' }, serverOrigin: origin });
    expect(result.ok && result.script).toContain('initrd=initrd0 initrd=nicdrivers quiet');
    expect(result.ok && result.script).toContain('initrd --name nicdrivers http://10.77.0.1:8080/deploy/nic-drivers.cpio?mac=52-54-00-12-34-56&busid=${netX/busid:hexraw} || goto failed');
  });

  it('loads the kernel with its arguments and each named initrd, then boots, retrying on failure', () => {
    const result = renderNodeScript({ mac, target, serverOrigin: origin });
    expect(result).toEqual({
      ok: true,
      script: [
        '#!ipxe',
        '# Rackboot boot script for 52:54:00:12:34:56',
        ':retry',
        'imgfree',
        'echo Rackboot: loading kernel for 52-54-00-12-34-56',
        'kernel --name kernel http://10.77.0.1:8080/images/vmlinuz?mac=52-54-00-12-34-56 initrd=initrd0 initrd=initrd1 console=ttyS0,115200 quiet || goto failed',
        'initrd --name initrd0 http://10.77.0.1:8080/images/initrd.img?mac=52-54-00-12-34-56 || goto failed',
        'initrd --name initrd1 http://mirror.example/agent.cpio.gz || goto failed',
        'echo Rackboot: starting kernel',
        'boot || goto failed',
        ':failed',
        'echo Rackboot: loading the boot files failed (${errno}); retrying in 5 seconds',
        'sleep 5',
        'goto retry',
        '',
      ].join('\n'),
    });
  });

  it('keeps initrd= arguments the command line already has', () => {
    const result = renderNodeScript({ mac, target: { ...target, cmdline: 'initrd=custom.img' }, serverOrigin: origin });
    expect(result.ok && result.script).toContain('--name kernel http://10.77.0.1:8080/images/vmlinuz?mac=52-54-00-12-34-56 initrd=custom.img ||');
  });

  it('percent-encodes characters in URLs that iPXE would expand or split on', () => {
    const result = renderNodeScript({
      mac,
      target: { ...target, kernelUrl: 'http://h/a b/${x}|{y}', initrdUrls: [] },
      serverOrigin: origin,
    });
    expect(result.ok && result.script).toContain('kernel --name kernel http://h/a%20b/%24%7Bx%7D%7C%7By%7D ');
  });

  it.each([
    ['root=/dev/sda ${evil}', /expand/],
    ['quiet #comment', /comment or an operator/],
    ['quiet || shell', /comment or an operator/],
    ['quiet && shell', /comment or an operator/],
    ['quiet ; shell', /comment or an operator/],
    ['quiet\nshell', /line break/],
  ])('refuses the command line %j instead of letting iPXE interpret it', (cmdline, message) => {
    const result = renderNodeScript({ mac, target: { ...target, cmdline }, serverOrigin: origin });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(message);
  });

  it('allows a dollar sign and a hash inside an argument, which iPXE leaves alone', () => {
    const result = renderNodeScript({ mac, target: { ...target, cmdline: 'pw=a$b tag=x#1' }, serverOrigin: origin });
    expect(result.ok && result.script).toContain(' pw=a$b tag=x#1 ||');
  });

  it('refuses a URL that is neither absolute http/https/tftp nor a server path', () => {
    const result = renderNodeScript({ mac, target: { ...target, kernelUrl: 'file:///etc/passwd' }, serverOrigin: origin });
    expect(!result.ok && result.error).toMatch(/kernel URL/);
  });
});

it('the entry script chains to the per-node script by the booting interface MAC', () => {
  expect(renderEntryScript(origin)).toBe('#!ipxe\nchain --autofree http://10.77.0.1:8080/ipxe/${mac:hexhyp}.ipxe\n');
});

it('the unknown-node script says which MAC to add, then exits to the firmware', () => {
  const script = renderUnknownNodeScript(mac);
  expect(script).toContain('no boot target for 52-54-00-12-34-56');
  expect(script.trimEnd().endsWith('exit 1')).toBe(true);
});
