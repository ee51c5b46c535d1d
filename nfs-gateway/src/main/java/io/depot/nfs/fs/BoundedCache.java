package io.depot.nfs.fs;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A map that forgets its least recently used entries beyond a capacity, except those the
 * {@code pinned} predicate keeps (an inode whose size is not stored yet, a file with I/O under
 * way): those stay, so the cap is soft by the number of pinned entries. One monitor guards it;
 * every operation is O(1) apart from skipping pinned entries at eviction.
 */
final class BoundedCache<K, V> {
    /** How many pinned entries an eviction looks past before giving up until the next insert. */
    private static final int EVICTION_SCAN = 32;

    private final int capacity;
    private final Predicate<V> pinned;
    private final LinkedHashMap<K, V> map = new LinkedHashMap<>(16, 0.75f, true);

    BoundedCache(int capacity, Predicate<V> pinned) {
        if (capacity < 1) {
            throw new IllegalArgumentException("cache capacity " + capacity);
        }
        this.capacity = capacity;
        this.pinned = pinned;
    }

    synchronized V get(K key) { return map.get(key); }

    synchronized void put(K key, V value) {
        map.put(key, value);
        evict();
    }

    synchronized V remove(K key) { return map.remove(key); }

    /** The value for {@code key}, made by {@code make} (under the cache's monitor) if absent; {@code onHit} runs on the found or made value under the monitor too. */
    synchronized V computeIfAbsent(K key, Function<K, V> make) {
        V v = map.get(key);
        if (v == null) {
            v = make.apply(key);
            map.put(key, v);
            evict();
        }
        return v;
    }

    synchronized int size() { return map.size(); }

    private void evict() {
        int scanned = 0;
        Iterator<Map.Entry<K, V>> it = map.entrySet().iterator();
        while (map.size() > capacity && it.hasNext() && scanned < EVICTION_SCAN) {
            Map.Entry<K, V> e = it.next();
            if (!pinned.test(e.getValue())) {
                it.remove();
            } else {
                scanned++;
            }
        }
    }
}
