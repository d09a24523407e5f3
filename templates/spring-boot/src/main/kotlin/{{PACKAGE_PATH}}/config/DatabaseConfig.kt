package {{PACKAGE}}.config

import com.zaxxer.hikari.HikariDataSource
import org.springframework.beans.factory.annotation.Value
import org.springframework.context.annotation.Bean
import org.springframework.context.annotation.Configuration

@Configuration(proxyBeanMethods = false)
class DatabaseConfig {
    /**
     * The pool, from DATABASE_URL (app.database-url). It connects on first use,
     * so the service starts while Postgres is away and /ready reports it down.
     */
    @Bean
    fun dataSource(@Value("\${app.database-url}") databaseUrl: String): HikariDataSource {
        val url = PostgresUrl.parse(databaseUrl)
        return HikariDataSource().apply {
            poolName = "postgres"
            jdbcUrl = url.jdbcUrl
            username = url.username
            password = url.password
            // Give up on a connection after 2 s rather than Hikari's 30: /ready must answer in time.
            connectionTimeout = 2_000
        }
    }
}
