import { getOperationAST, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError } from '../domain/errors.js';
import type { Policy } from '../domain/policy.js';
import type { GraphQLContext } from './context.js';
import { domainExtensions } from './errors.js';

/**
 * The read rule for GraphQL, before execution: a query (introspection included) is a
 * read; a mutation is judged by the rules of the services it calls, as its REST twin is.
 */
export function useReadAccess(policy: Policy): Plugin<GraphQLContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === 'mutation') return;
      try {
        policy.read(args.contextValue.caller.principal);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        setResultAndStopExecution({ errors: [new GraphQLError(error.message, { extensions: domainExtensions(error) })] });
      }
    },
  };
}
