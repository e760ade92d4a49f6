extension StoreAdministration {
    /// For a store that does not purge yet: refuses with ``StoreError/Kind-swift.enum/internal``, deleting
    /// nothing. Every store of this package implements ``StoreAdministration/purgeFinishedJobs(before:limit:)``
    /// itself; this default only lets a store be built before it does.
    public func purgeFinishedJobs(before: Int64, limit: Int) throws -> Int {
        throw StoreError(.internal, "This store cannot purge jobs (purgeFinishedJobs is not implemented)")
    }
}
