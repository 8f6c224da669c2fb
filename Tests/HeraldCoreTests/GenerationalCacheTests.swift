import HeraldCore
import Testing

/// The bounded map behind the Event recorder's aggregation cache and budgets.
@Suite struct GenerationalCacheTests {
    /// The Event recorder's cache used to drop every entry when it reached its limit: the next repeat of every event
    /// then created a new Event instead of counting. Now only entries unused for a generation go.
    @Test func aFullCacheForgetsTheLeastRecentlyUsedNotEverything() {
        var cache = GenerationalCache<Int, String>(limit: 4096)
        // Keep touching the first 100 keys (more often than every 2,048 new ones) while 14,000 new ones pass
        // through: they stay.
        for key in 0..<14096 {
            cache.set(key, "v\(key)")
            if key >= 100 && key % 1000 == 0 { for hot in 0..<100 { #expect(cache.get(hot) == "v\(hot)") } }
            #expect(cache.count <= 4096)
        }
        for hot in 0..<100 { #expect(cache.get(hot) == "v\(hot)") }
        // The most recent half of the limit is always kept.
        for key in (14096 - 1900)..<14096 { #expect(cache.contains(key), "\(key)") }
        // An old key that was not used is gone.
        #expect(!cache.contains(200))
        #expect(cache.count >= 2048)
    }

    @Test func overflowNeverEmptiesTheCache() {
        var cache = GenerationalCache<Int, Int>(limit: 8)
        var smallest = Int.max
        for key in 0..<100 {
            cache.set(key, key)
            if key >= 8 { smallest = min(smallest, cache.count) }
            #expect(cache.count <= 8)
            #expect(cache.get(key) == key)
        }
        #expect(smallest >= 4)
    }

    @Test func setNilRemovesAndUpdatesStayInPlace() {
        var cache = GenerationalCache<String, Int>(limit: 4)
        cache.set("a", 1)
        cache.set("a", 2)
        #expect(cache.count == 1)
        #expect(cache.get("a") == 2)
        cache.set("a", nil)
        #expect(cache.get("a") == nil)
        #expect(cache.count == 0)
    }
}
