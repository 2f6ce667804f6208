import { SCOPES } from '../auth/scopes';
import { FAMILIES, FAMILY_IDS } from './registry';

describe('family registry', () => {
  it('names every family once, in the contract vocabulary', () => {
    expect(FAMILY_IDS).toEqual(['meeting', 'cc-cms', 'cc-management']);
  });

  it('derives the scope list from the families plus the admin scopes', () => {
    expect(SCOPES).toEqual([
      'meeting.terminals:read',
      'meeting.devices:manage',
      'cc.terminals:read',
      'cc.softphones:read',
      'cc.softphones:credentials',
      'cc.calls:read',
      'admin.keys:manage',
      'admin.audit:read',
    ]);
  });

  // Family code must never import the registry at run time (only types): a cycle would leave
  // decorators with undefined classes depending on which file a process loads first.
  it.each(FAMILIES.map((f) => f.id))('loads the %s family folder first without an import cycle', (id) => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module graph per case
      expect(() => require(`./${id}/${id}.family`)).not.toThrow();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect((require('./registry') as typeof import('./registry')).FAMILY_IDS).toContain(id);
    });
  });
});
