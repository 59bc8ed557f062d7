// The DPoP key pair lives in IndexedDB: structured clone keeps a CryptoKey usable while its private
// half stays non-extractable, so a script that steals tokens still cannot sign proofs elsewhere.

const dbName = 'onevote';
const storeName = 'keys';
const keyName = 'dpop';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(dbName, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  return openDb().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(storeName, mode);
        const request = action(tx.objectStore(storeName));
        tx.oncomplete = () => {
          db.close();
          resolve(request.result as T);
        };
        tx.onerror = () => {
          db.close();
          reject(tx.error);
        };
      }),
  );
}

export function loadKeyPair(): Promise<CryptoKeyPair | undefined> {
  return run<CryptoKeyPair | undefined>('readonly', (s) => s.get(keyName));
}

export function saveKeyPair(pair: CryptoKeyPair): Promise<void> {
  return run<void>('readwrite', (s) => s.put(pair, keyName));
}
