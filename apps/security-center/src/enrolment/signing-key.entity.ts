import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TimeColumn } from '../database/columns';

/** Ed25519 key that signs device tokens. Retired keys stay published until their tokens expire. */
@Entity('signing_keys')
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 36 }) kid!: string;
  /** PKCS#8 DER, base64. Never leaves security-center. */
  @Column({ type: 'text' }) privateKey!: string;
  /** SPKI DER, base64. */
  @Column({ type: 'text' }) publicKey!: string;
  @TimeColumn() createdAt!: string;
  @TimeColumn(true) retiredAt!: string | null;
}
