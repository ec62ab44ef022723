// placeholder, replaced below
export const EvmLedger = { connect: async (_: unknown): Promise<never> => { throw new Error('EVM ledger not built yet'); } };
