import type { Config } from '../config.js';
import { decideAccess, type AccessDecision } from '../domain/access-decision.js';
import { hashKeySecret, isKeySecret } from '../domain/api-key.js';
import { InputError, NotAllowedError, NotFoundError, UnauthorizedError } from '../domain/errors.js';
import { formatRef, type Ref } from '../domain/model.js';
import type { AccessRepository } from '../repositories/access-repository.js';
import type { ReadBuffer } from './read-buffer.js';

export interface AccessRequest {
  asset: Ref;
  /** The identity named in the body. */
  consumer?: string;
  /** An API key secret from `Authorization: Bearer`. */
  secret?: string;
}

export interface AccessAnswer extends AccessDecision {
  consumer: string;
  asset: string;
}

/**
 * The serving-path check. It reads its inputs in one indexed statement (shared with
 * the checks that arrive in the same tick), never from a cache, so a declaration, a revocation or a policy change counts from the next check
 * on, in every process. The read it records goes through the ReadBuffer.
 */
export class AccessService {
  constructor(
    private readonly repository: AccessRepository,
    private readonly reads: ReadBuffer,
    private readonly config: Pick<Config, 'defaultAccessPolicy'>,
  ) {}

  async check(request: AccessRequest): Promise<AccessAnswer> {
    const { asset, consumer, secret } = request;
    if (secret === undefined) {
      if (consumer === undefined)
        throw InputError.field('consumer', 'is required unless an API key is sent as Authorization: Bearer <key>');
      if (isKeySecret(consumer))
        throw InputError.field('consumer', 'looks like an API key: send it as Authorization: Bearer <key>, not in the body');
    }
    const inputs = await this.repository.inputs({
      asset,
      consumer: secret === undefined ? consumer! : null,
      keyHash: secret === undefined ? null : hashKeySecret(secret),
    });
    if (secret !== undefined) {
      if (inputs.keyId === null) throw new UnauthorizedError('the API key is not known');
      if (inputs.keyRevoked) throw new UnauthorizedError('the API key has been revoked');
      // The key is the credential: a body that names someone else is asking to act as them.
      if (consumer !== undefined && consumer !== inputs.consumerName)
        throw new NotAllowedError(`the API key belongs to consumer:${inputs.consumerName}, not to "${consumer}"`);
    }
    if (inputs.assetId === null) throw new NotFoundError(`${formatRef(asset)} does not exist`);
    const identity = secret === undefined ? consumer! : inputs.consumerName!;
    const decision = decideAccess({
      mode: inputs.accessPolicy ?? this.config.defaultAccessPolicy,
      registered: inputs.consumerId !== null,
      declared: inputs.declared,
      pastSunset: inputs.pastSunset,
      deprecated: inputs.deprecated,
      sunsetAt: inputs.sunsetAt,
      replacedBy: inputs.replacedBy,
    });
    this.reads.add(inputs.assetId, identity, new Date());
    return { ...decision, consumer: identity, asset: formatRef(asset) };
  }
}
