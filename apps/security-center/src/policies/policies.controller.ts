import { Body, Controller, Get, Param, Put, Req } from '@nestjs/common';
import { EffectivePolicyView, GroupPolicyView, RuleHitView, UpdatePolicyRequest } from '@ksn/contracts';
import { Type } from '@sinclair/typebox';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { SchemaPipe } from '../common/schema.pipe';
import { PoliciesService } from './policies.service';

@Controller('api/v1')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Get('groups/:id/policy')
  @Api({ summary: 'What a group sets and locks, its version, and its effective policy', response: GroupPolicyView })
  get(@Param('id') id: string): Promise<GroupPolicyView> {
    return this.policies.get(id);
  }

  @Put('groups/:id/policy')
  @Roles('admin', 'operator')
  @Api({ summary: 'Replace what a group sets and locks (send the version you read; 409 if stale or locked above)', body: UpdatePolicyRequest, response: GroupPolicyView })
  update(@Req() req: AuthedRequest, @Param('id') id: string, @Body(new SchemaPipe(UpdatePolicyRequest)) body: UpdatePolicyRequest): Promise<GroupPolicyView> {
    return this.policies.update(actorOf(req), id, body);
  }

  @Get('groups/:id/effective-policy')
  @Api({ summary: 'Effective policy with the provenance of every setting (own, inherited from, locked by)', response: EffectivePolicyView })
  effective(@Param('id') id: string): Promise<EffectivePolicyView> {
    return this.policies.effective(id);
  }

  @Get('rules/hits')
  @Api({ summary: 'Hit counts of application-control rules, as reported by proxies', response: Type.Array(RuleHitView) })
  hits(): Promise<RuleHitView[]> {
    return this.policies.ruleHits();
  }
}
