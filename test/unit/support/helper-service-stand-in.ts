// The helper's system service as tests need it: no systemd runs here, so
// "installing" or "starting the service" runs what the test hands in (the
// real helper, for the end-to-end tests) and records that it was asked.
import type { HelperService } from '../../../app/src/api/wirefly-api.js';
import type { HelperServiceControl } from '../../../app/src/helper-client/helper-service.js';

export class HelperServiceStandIn implements HelperServiceControl {
  installs = 0;
  starts = 0;

  constructor(
    public service: HelperService = { kind: 'unavailable', reason: 'no helper service in this test.' },
    private readonly runHelper: () => Promise<void> = () => Promise.reject(new Error('no helper in this test')),
  ) {}

  async probe(): Promise<HelperService> {
    return this.service;
  }

  async install(startNow: boolean): Promise<void> {
    this.installs += 1;
    if (this.service.kind === 'unavailable')
      throw new Error(`The helper service cannot be installed: ${this.service.reason}`);
    if (startNow) await this.runHelper();
    this.service = { kind: 'installed' };
  }

  async start(): Promise<void> {
    this.starts += 1;
    await this.runHelper();
  }
}
