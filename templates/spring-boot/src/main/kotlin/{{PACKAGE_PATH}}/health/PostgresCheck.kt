package {{PACKAGE}}.health

import org.springframework.stereotype.Component
import javax.sql.DataSource

/** Postgres answers when the pool hands out a connection that the server validates. */
@Component
class PostgresCheck(private val dataSource: DataSource) : DependencyCheck {
    override val name = "postgres"

    override fun ping() {
        dataSource.connection.use { connection ->
            check(connection.isValid(TIMEOUT_SECONDS)) { "the connection did not validate" }
        }
    }

    private companion object {
        const val TIMEOUT_SECONDS = 2
    }
}
