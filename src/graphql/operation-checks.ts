import {
  coerceInputValue,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getOperationAST,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isInputType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  Kind,
  typeFromAST,
  valueFromAST,
  type ASTVisitor,
  type DocumentNode,
  type ExecutionArgs,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValidationContext,
  type VariableDefinitionNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { z } from 'zod';
import { toFieldIssues } from '../contracts/field-issues.js';
import { InputError } from '../domain/errors.js';
import { domainExtensions } from './errors.js';
import { NESTED_FIELD_ARGS, parseArgs } from './inputs.js';

/**
 * Refuses an operation whose type the schema does not have (a `subscription`), while
 * validating: graphql-js 16 only finds out when executing, and then answers without a
 * code. The spec's "Operation Type Existence" rule, as graphql-js 17 has it.
 */
export function KnownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(node) {
      if (!schema.getRootType(node.operation))
        context.reportError(new GraphQLError(`The ${node.operation} operation is not supported by the schema.`, { nodes: node }));
    },
  };
}

/** As many variable problems as graphql-js reports before giving up. */
const MAX_VARIABLE_ERRORS = 50;

class TooManyErrors extends Error {}

/** A variable's problem, in the shape of an argument's: BAD_USER_INPUT naming the variable's path. */
function variableError(definition: VariableDefinitionNode, path: readonly (string | number)[], reason: string): GraphQLError {
  const name = definition.variable.name.value;
  const [issue] = toFieldIssues([{ path: [name, ...path], message: reason }], 'body');
  const at = path.length > 0 ? ` at "${issue.field}"` : '';
  return new GraphQLError(`Variable "$${name}" got an invalid value${at}: ${reason}`, {
    nodes: definition,
    // 400 as graphql-js's own answer to bad variables has it.
    extensions: { code: 'BAD_USER_INPUT', issues: [issue], http: { status: 400 } },
  });
}

/**
 * The operation's variables coerced to their declared types, as execution would coerce
 * them, or every problem found, each naming the variable and the path inside it
 * (`filter.kinds[0]`): graphql-js's own errors for them carry no code and no field.
 */
export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  raw: Record<string, unknown>,
): { values: Record<string, unknown> } | { errors: GraphQLError[] } {
  const values: Record<string, unknown> = {};
  const errors: GraphQLError[] = [];
  const refuse = (definition: VariableDefinitionNode, path: readonly (string | number)[], reason: string) => {
    if (errors.length >= MAX_VARIABLE_ERRORS) throw new TooManyErrors();
    errors.push(variableError(definition, path, reason));
  };
  try {
    for (const definition of operation.variableDefinitions ?? []) {
      const name = definition.variable.name.value;
      const type = typeFromAST(schema, definition.type);
      if (!type || !isInputType(type)) continue; // validation refused the document already
      if (!Object.hasOwn(raw, name)) {
        if (definition.defaultValue) values[name] = valueFromAST(definition.defaultValue, type);
        else if (isNonNullType(type)) refuse(definition, [], `a value of type ${String(type)} is required`);
        continue;
      }
      const value = raw[name];
      if (value === null && isNonNullType(type)) {
        refuse(definition, [], `must not be null (type ${String(type)})`);
        continue;
      }
      values[name] = coerceInputValue(value, type, (path, _invalid, error) => refuse(definition, path, error.message));
    }
  } catch (error) {
    if (!(error instanceof TooManyErrors)) throw error;
  }
  return errors.length > 0 ? { errors } : { values };
}

/** A selection `@skip`ped or not `@include`d with these variables is not executed, so not checked. */
function executed(node: SelectionNode, variables: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/**
 * The arguments of every field below the root (a closure's `first`, `depth`, `after`),
 * parsed with the schema its resolver parses them with. Resolvers below the root run
 * after their parent's work, and under a mutation that work is the write: refused there,
 * the write would be stored and the answer an error. Checked here, a bad one refuses the
 * whole operation before any resolver runs. Each field of the document and of each
 * fragment spread is looked at once, whatever the lists above it hold (so a bad `first`
 * under an empty list is refused too). Root fields parse their own arguments before any
 * work of theirs.
 */
export function nestedArgumentErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  argumentSchemas: Readonly<Record<string, z.ZodType>> = NESTED_FIELD_ARGS,
): GraphQLError[] {
  const root = schema.getRootType(operation.operation);
  if (!root) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const spread = new Set<string>();
  const errors: GraphQLError[] = [];

  const walk = (set: SelectionSetNode, type: GraphQLNamedType) => {
    for (const selection of set.selections) {
      if (!executed(selection, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[selection.name.value] : undefined;
        if (!field) continue;
        const argumentSchema = type === root ? undefined : argumentSchemas[`${type.name}.${field.name}`];
        if (argumentSchema) {
          try {
            parseArgs(argumentSchema, getArgumentValues(field, selection, variables));
          } catch (error) {
            if (!(error instanceof InputError)) throw error;
            errors.push(new GraphQLError(error.message, { nodes: selection, extensions: domainExtensions(error) }));
          }
        }
        if (selection.selectionSet) walk(selection.selectionSet, getNamedType(field.type));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : undefined;
        walk(selection.selectionSet, on ?? type);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || spread.has(fragment.name.value)) continue;
        spread.add(fragment.name.value);
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? type);
      }
    }
  };
  walk(operation.selectionSet, root);
  return errors;
}

/**
 * What is refused before execution, with GraphQL's own errors given a code like every
 * other: an operation type the schema lacks (while validating: GRAPHQL_VALIDATION_FAILED),
 * variables that do not fit their types (BAD_USER_INPUT naming each), and bad arguments
 * below the root (BAD_USER_INPUT, as their resolvers would answer). Registered before the
 * cost limit, which needs the variables to fit.
 */
export function useOperationChecks(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(KnownOperationTypesRule);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const { schema, document, operationName, variableValues } = args as ExecutionArgs;
      const operation = getOperationAST(document, operationName);
      if (!operation) return; // execution names what is missing, with its code
      const coerced = coerceVariables(schema, operation, variableValues ?? {});
      if ('errors' in coerced) {
        setResultAndStopExecution({ errors: coerced.errors });
        return;
      }
      const errors = nestedArgumentErrors(schema, document, operation, coerced.values);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}
