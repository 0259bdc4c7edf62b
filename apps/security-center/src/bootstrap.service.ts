import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AuthService } from './auth/auth.service';
import { CONFIG, type Config } from './config';
import { EnrolmentService } from './enrolment/enrolment.service';
import { GroupsService } from './groups/groups.service';
import { ProxiesService } from './proxies/proxies.service';
import { SnapshotService } from './snapshot/snapshot.service';

/** First-start setup, idempotent on every start: default group, signing key, admin, bootstrap secrets. */
@Injectable()
export class BootstrapService {
  private readonly log = new Logger('bootstrap');

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly snapshots: SnapshotService,
    private readonly groups: GroupsService,
    private readonly enrolment: EnrolmentService,
    private readonly auth: AuthService,
    private readonly proxies: ProxiesService,
  ) {}

  async run(): Promise<void> {
    await this.snapshots.ensureState();
    const group = await this.groups.ensureDefaultGroup();
    await this.enrolment.ensureSigningKey();

    if ((await this.auth.countUsers()) === 0) {
      const generated = this.config.ADMIN_PASSWORD === '';
      const password = generated ? randomBytes(12).toString('base64url') : this.config.ADMIN_PASSWORD;
      await this.auth.createUser('admin', password, 'admin');
      if (generated) {
        // Printed once, on purpose, outside the logger: it is the only way to learn it.
        process.stdout.write(
          `\n  Created the first user. Log in to the console as\n    user:     admin\n    password: ${password}\n  This password is shown only now.\n\n`,
        );
      } else {
        this.log.log('created user admin with the password from ADMIN_PASSWORD');
      }
    }
    const proxyKey = this.config.BOOTSTRAP_PROXY_API_KEY;
    if (proxyKey && !(await this.proxies.existsWithKey(proxyKey))) {
      await this.proxies.create('local', proxyKey);
      this.log.log('registered proxy "local" from BOOTSTRAP_PROXY_API_KEY');
    }
    const enrolToken = this.config.BOOTSTRAP_ENROLMENT_TOKEN;
    if (enrolToken && !(await this.enrolment.tokenExists(enrolToken))) {
      await this.enrolment.createToken(group.id, 'bootstrap', { token: enrolToken });
      this.log.log(`registered an enrolment token for group "${group.name}" from BOOTSTRAP_ENROLMENT_TOKEN`);
    }
  }
}
