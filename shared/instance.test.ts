import { describe, expect, it } from 'vitest';
import { cloudConfigProblem } from './instance';

describe('cloudConfigProblem', () => {
  it('names the line and column where a #cloud-config stops being YAML', () => {
    expect(cloudConfigProblem('#cloud-config\nruncmd: [touch /var/tmp/x\nwrite_files: []\n')).toMatch(
      /^user-data is not valid YAML at line 3, column \d+: /,
    );
    expect(cloudConfigProblem('#cloud-config\nhostname: a\n  bad: indent\n')).toMatch(/^user-data is not valid YAML at line 2, column 11: /);
  });

  it('accepts a valid #cloud-config and leaves other user-data (a script) unchecked', () => {
    expect(cloudConfigProblem('#cloud-config\nruncmd:\n  - [touch, /var/tmp/x]\n')).toBeNull();
    expect(cloudConfigProblem('#!/bin/sh\necho [unbalanced\n')).toBeNull();
  });

  it('refuses a #cloud-config that is YAML but not a mapping', () => {
    expect(cloudConfigProblem('#cloud-config\n- a\n- b\n')).toMatch(/must be a YAML mapping/);
  });
});
