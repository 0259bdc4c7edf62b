import { Controller, Get, Param } from '@nestjs/common';
import { FileDetails, hashKind } from '@ksn/contracts';
import { ApiError } from '../common/api-error';
import { Api } from '../common/openapi';
import { UpstreamClient } from '../common/upstream.client';

/** The console's reputation lookup: the upstream's details of one file. */
@Controller('api/v1/reputation')
export class ReputationController {
  constructor(private readonly upstream: UpstreamClient) {}

  @Get(':hash')
  @Api({
    summary: 'Reputation details of a file by SHA-256, SHA-1 or MD5, from the upstream',
    response: FileDetails,
  })
  async get(@Param('hash') hash: string): Promise<FileDetails> {
    if (!hashKind(hash))
      throw new ApiError('invalid_request', 'hash must be a SHA-256, SHA-1 or MD5 in hex', 'hash');
    const details = await this.upstream.get(`/v1/files/${hash.toLowerCase()}/details`, FileDetails);
    if (!details) throw new ApiError('not_found', 'the upstream does not know this file', 'hash');
    return details;
  }
}
