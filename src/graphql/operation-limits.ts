import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { GRAPHQL_LIMITS, LIMIT_CODE } from './limits.js';
import { operationCost } from './operation-cost.js';
import { appBudgetLimits, ResponseBudget, type BudgetContext } from './response-budget.js';

const costError = () =>
  new GraphQLError(
    `Query Cost limit of ${GRAPHQL_LIMITS.maxCost} exceeded: this operation may return more than ${GRAPHQL_LIMITS.maxCost} values. ` +
      'Each `first` multiplies what is under it, whether written in the query or passed as a variable; an absent one ' +
      'counts as its default (100). Ask for smaller pages or fewer nested lists.',
    { extensions: { code: LIMIT_CODE, limit: 'maxCost' } },
  );

/**
 * The limits that need the operation's variables or its running: before execution, the
 * cost with the variable values (refused before any resolver runs); during it, a response
 * budget in the context, whose signal the executor stops on, once the budget is spent
 * or the client has closed the request. A spent budget answers its error alone, not a
 * partial result.
 */
export function useOperationLimits(): Plugin<BudgetContext & { request?: Request }> {
  return {
    onExecute({ args, setResultAndStopExecution, extendContext }) {
      const { schema, document, operationName, variableValues } = args as ExecutionArgs;
      const cost = operationCost(schema, document, operationName, variableValues, GRAPHQL_LIMITS.maxCost);
      if (cost !== undefined && cost > GRAPHQL_LIMITS.maxCost) {
        setResultAndStopExecution({ errors: [costError()] });
        return;
      }
      const budget = new ResponseBudget(appBudgetLimits, args.contextValue.request?.signal);
      extendContext({ responseBudget: budget });
      // What yoga's useExecutionCancellation does with the request's signal, with the budget's.
      (args as { signal?: AbortSignal }).signal = budget.signal;
      return {
        onExecuteDone({ setResult }) {
          budget.dispose();
          if (budget.exceeded) setResult({ errors: [budget.exceeded] });
        },
      };
    },
  };
}
