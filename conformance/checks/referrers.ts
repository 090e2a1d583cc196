import { defineChecks } from './types.ts';

export default defineChecks([]);
