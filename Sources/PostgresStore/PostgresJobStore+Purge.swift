import JobsCore
import SQLStore

extension PostgresJobStore {
    /// Defers the position constraint to the commit: a batch moves its survivors in one statement.
    public func beginPurge() throws {
        try connection.executeScript("SET CONSTRAINTS jobs_position DEFERRED")
    }

    /// One project's batch of ``purgeFinishedJobs(before:limit:)``, in its transaction.
    ///
    /// Its row is locked first (creations in that project wait for the batch; a second purge cannot move the same
    /// positions), then the batch is deleted in position order; P is the highest position deleted. The `s` jobs
    /// that survive at or below P (active ones, or finished at or after `before`) move to P − s + 1 … P in one
    /// statement, keeping their order, under the deferred position constraint; `position_base` becomes P − s.
    /// Jobs above P are not touched, so the cost is the batch plus those survivors.
    public func purgeBatch(projectID: Int64, before: Int64, limit: Int) throws -> Int {
        let parameters: [SQLValue] = [.integer(projectID), .integer(before)]
        guard try connection.firstRow(SQL.purgeAny, parameters, decode: { _ in true }) == true else { return 0 }
        try connection.execute(SQL.lockProject, [.integer(projectID)])
        let positions = try connection.rows(SQL.purgeDelete, parameters + [.integer(Int64(limit))]) {
            $0.int64(at: 0)
        }
        guard let highest = positions.max() else { return 0 }
        try connection.execute(SQL.moveSurvivors, [.integer(projectID), .integer(highest)])
        try connection.execute(SQL.setPositionBase, [.integer(projectID), .integer(highest)])
        return positions.count
    }
}

extension PostgresJobStore.SQL {
    /// Whether the project has anything to purge (`jobs_finished`). A job imported finished without an
    /// `updated_at` ended, as far as anyone knows, when it was created.
    static let purgeAny = """
        SELECT 1 FROM jobs
        WHERE project_id = $1 AND status IN ('completed', 'failed', 'cancelled')
            AND coalesce(updated_at, created_at) < $2 LIMIT 1
        """
    static let lockProject = "SELECT 1 FROM projects WHERE id = $1 FOR UPDATE"
    /// The project's `$3` lowest-positioned finished jobs ended before `$2`, deleted; their positions come back.
    static let purgeDelete = """
        DELETE FROM jobs WHERE id IN (
            SELECT id FROM jobs
            WHERE project_id = $1 AND status IN ('completed', 'failed', 'cancelled')
                AND coalesce(updated_at, created_at) < $2
            ORDER BY position LIMIT $3 FOR UPDATE)
        RETURNING position
        """
    /// The survivors at or below the highest deleted position `$2`, highest first, take `$2`, `$2` − 1, …:
    /// their order is kept and they end next to the jobs above `$2`. One statement, so the position constraint
    /// is deferred to the commit.
    static let moveSurvivors = """
        UPDATE jobs SET position = $2 - moved.rank + 1
        FROM (
            SELECT id, row_number() OVER (ORDER BY position DESC) AS rank
            FROM jobs WHERE project_id = $1 AND position <= $2
        ) moved
        WHERE jobs.id = moved.id AND jobs.position <> $2 - moved.rank + 1
        """
    /// `position_base` = P − s, with s the survivors now at P − s + 1 … P.
    static let setPositionBase = """
        UPDATE projects
        SET position_base = $2 - (SELECT count(*) FROM jobs WHERE project_id = $1 AND position <= $2)
        WHERE id = $1
        """
}
