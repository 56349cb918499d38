import type { AssetBody } from '../../domain/asset-schemas.js';
import type { Asset } from '../../domain/asset.js';
import { parseRef, type Ref } from '../../domain/model.js';
import { writeItem, type WriteItem } from './write-item.js';

// What the unit tests of the write rules and the write plan build their inputs from.

export const ref = (text: string): Ref => {
  const parsed = parseRef(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};
export const item = (text: string, body: Partial<AssetBody> = {}, at = ''): WriteItem =>
  writeItem(ref(text), { owner: 'team', ...body }, at);

/** An asset as the chunk's read would find it stored. */
export const stored = (text: string, fields: Partial<Asset> = {}): Asset => {
  const { kind, name } = ref(text);
  return {
    id: 1,
    ref: text,
    kind,
    name,
    owner: 'team',
    description: null,
    lifecycle: 'production',
    tags: [],
    platforms: null,
    domains: null,
    valueType: null,
    stability: null,
    accessPolicy: null,
    contact: null,
    sla: null,
    metadata: {},
    dependsOn: [],
    deprecation: null,
    revision: 3,
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    ...fields,
  };
};
