import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { EnrolRequest, type TokenResponse } from '@ksn/contracts';
import { Public } from '../auth/access';
import { SchemaPipe } from '../common/schema.pipe';
import { EnrolmentService } from './enrolment.service';

@Controller('api/v1')
export class EnrolmentController {
  constructor(private readonly enrolment: EnrolmentService) {}

  /** A device trades an enrolment token for its device token. */
  @Public()
  @Post('enrol')
  @HttpCode(201)
  enrol(@Body(new SchemaPipe(EnrolRequest)) body: EnrolRequest): Promise<TokenResponse> {
    return this.enrolment.enrol(body.enrolmentToken, body.deviceName);
  }
}
