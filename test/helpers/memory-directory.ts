import type { AccountRecord, ApiKeyRecord, CredentialRecord, Directory, RequestLogRecord, RequestLogSink } from '../../server/core/ports.js';
import type { KeyBlobRepository } from '../../hsm/software/software-store.js';
import type { InventoryEntry } from '../../server/core/tn-inventory.js';

/**
 * An in-memory Directory for core unit tests, which call the core directly. Everything that talks to a real
 * database runs against the real engines in test/store and test/http.
 */
export class MemoryDirectory implements Directory, KeyBlobRepository, RequestLogSink {
  accounts = new Map<string, AccountRecord>();
  credentials: CredentialRecord[] = [];
  apiKeys = new Map<string, ApiKeyRecord>();
  blobs = new Map<string, { ref: string; blob: Uint8Array; createdAt: Date }>();
  log: RequestLogRecord[] = [];
  inventory = new Map<string, InventoryEntry[]>();
  inventoryLoads = 0;
  reads = 0;

  async getAccount(id: string) {
    this.reads++;
    return this.accounts.get(id);
  }
  async getActiveCredential(accountId: string) {
    this.reads++;
    return this.credentials.find((c) => c.accountId === accountId && c.state === 'active');
  }
  async getApiKey(id: string) {
    this.reads++;
    return this.apiKeys.get(id);
  }
  async listRcdProfiles() {
    return [];
  }

  async listRoutingRules() {
    return [];
  }
  async listSipSources() {
    return [];
  }
  async *streamInventory(accountId: string, chunkSize = 2) {
    this.inventoryLoads++;
    const all = this.inventory.get(accountId) ?? [];
    for (let i = 0; i < all.length; i += chunkSize) yield all.slice(i, i + chunkSize);
  }
  async putKeyBlob(ref: string, blob: Uint8Array) {
    this.blobs.set(ref, { ref, blob, createdAt: new Date() });
  }
  async getKeyBlob(ref: string) {
    return this.blobs.get(ref);
  }
  async listKeyBlobs() {
    return [...this.blobs.values()];
  }
  record(entry: RequestLogRecord) {
    this.log.push(entry);
  }
}
