import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * How many values an operation may return, estimated before it runs, with the values it
 * will run with: each field counts 1, and a list field counts its length times what is
 * under it. A field with `first` gives that length to the lists directly under it (a
 * connection's `edges`, a closure's `items`), whether `first` is written in the query,
 * passed as a variable, or left to the schema's default. A list nobody pages (`dependents`,
 * `dependsOn`) counts 1 here; the response budget bounds what it really returns.
 *
 * graphql-armor's cost runs as a validation rule, before variables are known, and only
 * reads a `first` written as a literal, so `first: $n` cost nothing there; and it is
 * cached per document, which a cost that depends on variables cannot be.
 *
 * Counting stops at `stopAbove`: a document of nested fragment spreads can describe far
 * more fields than it has tokens, and counting them one by one would itself be the stall.
 * Returns undefined when the variables do not fit the operation (execution then refuses
 * it, naming the variable) or no operation matches.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
  stopAbove: number,
): number | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return undefined;
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (variables.errors) return undefined;
  const values = variables.coerced;

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  // A fragment costs the same wherever it is spread with the same page size: computed once.
  const fragmentCost = new Map<string, number>();

  const costOf = (set: SelectionSetNode, type: GraphQLNamedType, pageSize: number | undefined): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (cost > stopAbove) return cost;
      if (selection.kind === Kind.FIELD) {
        // __typename and introspection (__schema, __type) are bounded by the schema.
        if (selection.name.value.startsWith('__')) continue;
        const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[selection.name.value] : undefined;
        if (!field) continue;
        let args: Record<string, unknown>;
        try {
          args = getArgumentValues(field, selection, values);
        } catch {
          continue; // a bad argument: execution refuses it, naming it
        }
        const first = typeof args.first === 'number' ? Math.max(args.first, 0) : undefined;
        const length = isListType(getNullableType(field.type)) ? (first ?? pageSize ?? 1) : 1;
        const below = selection.selectionSet ? costOf(selection.selectionSet, getNamedType(field.type), first) : 0;
        cost += length * (1 + below);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : undefined;
        cost += costOf(selection.selectionSet, on ?? type, pageSize);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) continue;
        const key = `${selection.name.value}|${pageSize ?? ''}`;
        let known = fragmentCost.get(key);
        if (known === undefined) {
          fragmentCost.set(key, 0); // validation refuses cycles; this only guards the recursion
          known = costOf(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? type, pageSize);
          fragmentCost.set(key, known);
        }
        cost += known;
      }
    }
    return cost;
  };
  return costOf(operation.selectionSet, root, undefined);
}
