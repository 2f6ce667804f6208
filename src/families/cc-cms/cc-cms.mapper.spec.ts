import { mapTerminalPage } from './cc-cms.mapper';
import { terminalGroups } from './cc-cms.schemas';

/** Parses resultDesc as the client does, then maps it (page offset 0 unless given). */
const mapTerminalStatus = (raw: { resultCode?: string; resultDesc: unknown }, observedAt: Date, offset = 0) =>
  mapTerminalPage(terminalGroups.parse(raw.resultDesc), offset, observedAt);

const at = new Date('2026-01-02T03:04:05.000Z');
const terminal = (overrides: Record<string, unknown> = {}) => ({
  ccuModuleNumber: '56',
  terminationType: 'SIP',
  equipmentId: '87800001',
  registerStatus: 'registered',
  socketStatus: 'normal',
  ipAndPort: '10.1.2.3:5060',
  monitorFlag: 'started',
  protocolType: 'sip',
  roamIpAndPort: '10.9.9.9:5060',
  tlsStatus: 'connect',
  ipType: 'IPv4',
  ...overrides,
});

describe('CC-CMS mapper', () => {
  it('maps the AICC nesting (resultDesc.data keyed by ip#uap, count)', () => {
    const page = mapTerminalStatus(
      { resultCode: '0100000', resultDesc: { data: { '10.0.0.1#7': [terminal()] }, count: 42 } },
      at,
    );
    expect(page.total).toBe(42);
    expect(page.items).toEqual([
      {
        id: '87800001',
        source: 'cc-cms',
        registration: 'registered',
        call: 'unknown',
        connection: {
          socket: 'normal',
          tls: 'connected',
          address: '10.1.2.3:5060',
          roamAddress: '10.9.9.9:5060',
          ipType: 'IPv4',
          protocol: 'sip',
          monitoring: 'started',
        },
        uap: { address: '10.0.0.1', id: '7', ccuModule: '56' },
        terminalType: 'sip',
        observedAt: at.toISOString(),
      },
    ]);
  });

  it('maps the grouped nesting (resultDesc["ip#uap"] = {data, count}), summing per-UAP counts', () => {
    const page = mapTerminalStatus(
      {
        resultDesc: {
          '10.0.0.1#1': { data: [terminal()], count: 3 },
          '10.0.0.2#2': { data: [terminal({ equipmentId: '2' })], count: 4 },
        },
      },
      at,
    );
    expect(page.items.map((i) => [i.id, i.uap!.id])).toEqual([
      ['87800001', '1'],
      ['2', '2'],
    ]);
    expect(page.total).toBe(7);
  });

  it.each([
    ['registerStatus', 'not register', 'registration', 'unregistered'],
    ['registerStatus', 'weird', 'registration', 'unknown'],
  ])('maps %s %s', (field, value, out, expected) => {
    const [item] = mapTerminalStatus(
      { resultDesc: { data: { 'a#1': [terminal({ [field]: value })] }, count: 1 } },
      at,
    ).items;
    expect((item as unknown as Record<string, unknown>)[out]).toBe(expected);
  });

  it.each([
    ['socketStatus', 'fault', 'socket', 'fault'],
    ['socketStatus', 'connecting', 'socket', 'connecting'],
    ['socketStatus', 'uninstall', 'socket', 'uninstalled'],
    ['socketStatus', '???', 'socket', 'unknown'],
    ['tlsStatus', 'unconnect', 'tls', 'disconnected'],
    ['tlsStatus', 'uninstall', 'tls', 'uninstalled'],
    ['monitorFlag', 'unstarted', 'monitoring', 'stopped'],
  ])('maps %s %s to connection.%s %s', (field, value, out, expected) => {
    const [item] = mapTerminalStatus(
      { resultDesc: { data: { 'a#1': [terminal({ [field]: value })] }, count: 1 } },
      at,
    ).items;
    expect((item!.connection as unknown as Record<string, unknown>)[out]).toBe(expected);
  });

  it('omits an empty roam address', () => {
    const [item] = mapTerminalStatus(
      { resultDesc: { data: { 'a#1': [terminal({ roamIpAndPort: '' })] }, count: 1 } },
      at,
    ).items;
    expect(item!.connection).not.toHaveProperty('roamAddress');
  });

  it.each([[undefined], ['x'], [{ data: { nohash: [] }, count: 1 }], [{ data: { 'a#1': [{}] } }], [{ 'a#1': 3 }]])(
    'rejects the malformed resultDesc %j in its schema (a counted upstream failure, not a crash)',
    (desc) => {
      expect(terminalGroups.safeParse(desc).success).toBe(false);
    },
  );

  it('never reports a total below offset + items on a page with items', () => {
    const page = mapTerminalStatus({ resultDesc: { data: { 'a#1': [terminal(), terminal()] }, count: 1 } }, at, 40);
    expect(page.total).toBe(42);
  });

  it('sums the grouped counts: two groups of 5 on one page report 10, not 5', () => {
    const five = Array.from({ length: 5 }, (_, i) => terminal({ equipmentId: `8780000${i}` }));
    const page = mapTerminalStatus(
      { resultDesc: { '10.0.0.1#1': { data: five, count: 5 }, '10.0.0.2#2': { data: five, count: '5' } } },
      at,
    );
    expect(page.items).toHaveLength(10);
    expect(page.total).toBe(10);
  });

  it('maps no groups to an empty page with total 0', () => {
    expect(mapTerminalPage({ groups: [], overallCount: 0 }, 0, at)).toEqual({ items: [], total: 0 });
  });
});
