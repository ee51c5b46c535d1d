package io.depot.engine.core;

import io.depot.engine.store.MetadataStore;
import java.util.function.LongConsumer;

/**
 * What a cluster reads as through a linked clone's chain of origins: a view (a volume at an epoch)
 * shows its own newest mapping born at or before the epoch; where it has none, it shows what its
 * origin's snapshot shows, and so on up the chain.
 */
final class OriginChain {
    private OriginChain() {}

    /**
     * The first mapping of {@code cluster} seen from the view of {@code volume} at {@code epoch} down its
     * origin chain: data, a hole, or {@link MappingValue#NONE} when no volume of the chain maps it.
     */
    static long mappingThrough(VolumeState volume, long epoch, long cluster) {
        for (VolumeState o = volume; o != null; ) {
            VolumeState next = o.origin();   // read before the mapping: a flatten that ends meanwhile leaves NONE meaning "the origin's"
            long m = o.mappingAt(epoch, cluster);
            if (!MappingValue.isNone(m)) {
                return m;
            }
            epoch = o.originEpoch();
            o = next;
        }
        return MappingValue.NONE;
    }

    /** True if the view of {@code volume} at {@code epoch} reads data (not zeros) at {@code cluster}. */
    static boolean hasData(VolumeState volume, long epoch, long cluster) {
        return MappingValue.isData(mappingThrough(volume, epoch, cluster));
    }

    /**
     * Tells {@code consumer} every cluster in [from, to) that {@code first} or a volume of its origin chain
     * has a committed mapping for (in any epoch; a cluster may come more than once).
     */
    static void forEachMappedCluster(MetadataStore meta, VolumeState first, long from, long to, LongConsumer consumer) {
        for (VolumeState o = first; o != null; o = o.origin()) {
            meta.scan(Keys.mapping(o.id(), from, 0), Keys.mapping(o.id(), to, 0), (k, value) -> {
                consumer.accept(Keys.field(k, 1));
                return true;
            });
        }
    }
}
