import { getOperationAST, GraphQLError, OperationTypeNode, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError, UnauthorizedError } from '../domain/errors.js';
import type { Policy } from '../domain/policy.js';
import type { GraphQLContext } from './context.js';
import { domainExtensions } from './errors.js';

/**
 * The read rule for GraphQL, before execution: a query (introspection included) is a
 * read; a mutation is judged by the rules of the services it calls, as its REST twin is,
 * and needs a token before anything, as a REST write route does: without one, its
 * arguments are not checked nor its target looked up (which would tell whether it exists).
 */
export function useReadAccess(policy: Policy): Plugin<GraphQLContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const { document, operationName, contextValue } = args as ExecutionArgs & { contextValue: GraphQLContext };
      const operation = getOperationAST(document, operationName);
      const { principal } = contextValue.caller;
      try {
        if (operation?.operation !== OperationTypeNode.MUTATION) policy.read(principal);
        else if (principal.type === 'anonymous')
          throw new UnauthorizedError('a token is required: send Authorization: Bearer <token>', { rule: 'token-required' });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        setResultAndStopExecution({ errors: [new GraphQLError(error.message, { extensions: domainExtensions(error) })] });
      }
    },
  };
}
