import type { Config } from '../config.js';
import { decideAccess, type AccessDecision } from '../domain/access-decision.js';
import { InputError, NotFoundError } from '../domain/errors.js';
import { formatRef, type Ref } from '../domain/model.js';
import type { Policy } from '../domain/policy.js';
import type { Caller } from '../domain/principal.js';
import { isTokenSecret } from '../domain/token-secret.js';
import type { AccessRepository } from '../repositories/access-repository.js';
import type { ReadBuffer } from './read-buffer.js';

export interface AccessRequest {
  asset: Ref;
  /** The identity named in the body; a consumer token's own identity takes its place. */
  consumer?: string;
}

export interface AccessAnswer extends AccessDecision {
  consumer: string;
  asset: string;
}

/**
 * The serving-path check. It reads its inputs in one indexed statement (shared with
 * the checks that arrive in the same tick), never from a cache, so a declaration, a
 * revocation or a policy change counts from the next check on, in every process. The
 * read it records goes through the ReadBuffer.
 */
export class AccessService {
  constructor(
    private readonly repository: AccessRepository,
    private readonly reads: ReadBuffer,
    private readonly config: Pick<Config, 'defaultAccessPolicy'>,
    private readonly policy: Policy,
  ) {}

  async check(caller: Caller, request: AccessRequest): Promise<AccessAnswer> {
    const { asset } = request;
    // A consumer token checks as itself: a body naming someone else is ignored.
    const own = this.policy.accessIdentity(caller.principal);
    let consumer = own?.consumer;
    if (consumer === undefined) {
      if (request.consumer === undefined)
        throw InputError.field('consumer', "is required unless a consumer's token is sent as Authorization: Bearer <token>");
      if (isTokenSecret(request.consumer))
        throw InputError.field('consumer', 'looks like a token: send it as Authorization: Bearer <token>, not in the body');
      consumer = request.consumer;
    }
    const inputs = await this.repository.inputs({ asset, consumer });
    if (inputs.assetId === null) throw new NotFoundError(`${formatRef(asset)} does not exist`);
    const decision = decideAccess({
      mode: inputs.accessPolicy ?? this.config.defaultAccessPolicy,
      registered: inputs.consumerId !== null,
      declared: inputs.declared,
      pastSunset: inputs.pastSunset,
      deprecated: inputs.deprecated,
      sunsetAt: inputs.sunsetAt,
      replacedBy: inputs.replacedBy,
    });
    this.reads.add(inputs.assetId, consumer, new Date());
    return { ...decision, consumer, asset: formatRef(asset) };
  }
}
