import { getOperationAST, GraphQLError, OperationTypeNode, type ExecutionArgs } from 'graphql';
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
      const { document, operationName, contextValue } = args as ExecutionArgs & { contextValue: GraphQLContext };
      if (getOperationAST(document, operationName)?.operation === OperationTypeNode.MUTATION) return;
      try {
        policy.read(contextValue.caller.principal);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        setResultAndStopExecution({ errors: [new GraphQLError(error.message, { extensions: domainExtensions(error) })] });
      }
    },
  };
}
