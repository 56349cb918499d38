import { getOperationAST, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError, UnauthorizedError } from '../domain/errors.js';
import type { Policy } from '../domain/policy.js';
import type { GraphQLContext } from './context.js';
import { domainExtensions } from './errors.js';

/**
 * The read rule for GraphQL, before execution: a query (introspection included) is a
 * read; a mutation is judged by the rules of the services it calls, as its REST twin is,
 * but needs a token before anything: as a REST write route refuses a request without one
 * before reading its input, so the answer says nothing about what is stored (that an asset
 * exists, its revision, its lifecycle) to a caller who may not even read.
 */
export function useReadAccess(policy: Policy): Plugin<GraphQLContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      const { principal } = args.contextValue.caller;
      try {
        if (operation?.operation !== 'mutation') policy.read(principal);
        else if (principal.type === 'anonymous')
          throw new UnauthorizedError('a token is required: send Authorization: Bearer <token>', { rule: 'token-required' });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        setResultAndStopExecution({ errors: [new GraphQLError(error.message, { extensions: domainExtensions(error) })] });
      }
    },
  };
}
