import { Body, Controller, Delete, Get, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import {
  CreateRuleRequest,
  EffectivePolicyView,
  GroupPolicyView,
  RuleHitView,
  UpdatePolicyRequest,
  UpdateRuleRequest,
} from '@ksn/contracts';
import { ApiError } from '../common/api-error';
import { intParam } from '../common/query';
import { Type } from '@sinclair/typebox';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { SchemaPipe } from '../common/schema.pipe';
import { PoliciesService } from './policies.service';

@Controller('api/v1')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Get('groups/:id/policy')
  @Api({
    summary: 'What a group sets and locks, its version, and its effective policy',
    response: GroupPolicyView,
  })
  get(@Param('id') id: string): Promise<GroupPolicyView> {
    return this.policies.get(id);
  }

  @Put('groups/:id/policy')
  @Roles('admin', 'operator')
  @Api({
    summary: 'Replace what a group sets and locks (send the version you read; 409 if stale or locked above)',
    body: UpdatePolicyRequest,
    response: GroupPolicyView,
  })
  update(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new SchemaPipe(UpdatePolicyRequest)) body: UpdatePolicyRequest,
  ): Promise<GroupPolicyView> {
    return this.policies.update(actorOf(req), id, body);
  }

  @Get('groups/:id/effective-policy')
  @Api({
    summary: 'Effective policy with the provenance of every setting (own, inherited from, locked by)',
    response: EffectivePolicyView,
  })
  effective(@Param('id') id: string): Promise<EffectivePolicyView> {
    return this.policies.effective(id);
  }

  @Post('groups/:id/rules')
  @Roles('admin', 'operator')
  @Api({
    summary: 'Add one application-control rule (version: the policy version you read)',
    body: CreateRuleRequest,
    response: GroupPolicyView,
    status: 201,
  })
  addRule(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new SchemaPipe(CreateRuleRequest)) body: CreateRuleRequest,
  ): Promise<GroupPolicyView> {
    return this.policies.addRule(actorOf(req), id, body);
  }

  @Patch('groups/:id/rules/:ruleId')
  @Roles('admin', 'operator')
  @Api({
    summary: 'Change or move one rule (409 if the policy version is stale)',
    body: UpdateRuleRequest,
    response: GroupPolicyView,
  })
  updateRule(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Param('ruleId') ruleId: string,
    @Body(new SchemaPipe(UpdateRuleRequest)) body: UpdateRuleRequest,
  ): Promise<GroupPolicyView> {
    return this.policies.updateRule(actorOf(req), id, ruleId, body);
  }

  @Delete('groups/:id/rules/:ruleId')
  @Roles('admin', 'operator')
  @Api({
    summary: 'Delete one rule; ?version= is the policy version you read',
    response: GroupPolicyView,
    query: ['version'],
  })
  deleteRule(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Param('ruleId') ruleId: string,
    @Query('version') version?: string,
  ): Promise<GroupPolicyView> {
    if (version === undefined) throw new ApiError('invalid_request', 'version is required', 'version');
    return this.policies.deleteRule(
      actorOf(req),
      id,
      ruleId,
      intParam('version', version, 1, 1, 2_000_000_000),
    );
  }

  @Get('rules/hits')
  @Api({
    summary: 'Hit counts of application-control rules, as reported by proxies',
    response: Type.Array(RuleHitView),
  })
  hits(): Promise<RuleHitView[]> {
    return this.policies.ruleHits();
  }
}
