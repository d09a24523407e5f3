package {{PACKAGE}}.config

import java.net.URI
import java.net.URLDecoder

/**
 * A connection URL in the libpq form that every blissful-infra template takes,
 * postgres://user:password@host:port/database?parameters, split the way JDBC
 * wants it: a jdbc:postgresql URL (the parameters kept) and the credentials.
 */
class PostgresUrl private constructor(val jdbcUrl: String, val username: String?, val password: String?) {
    // Logs and exception messages must not show the password.
    override fun toString() = "PostgresUrl($jdbcUrl, user $username)"

    companion object {
        private const val DEFAULT_PORT = 5432

        fun parse(url: String): PostgresUrl {
            val uri = URI(url)
            require(uri.scheme == "postgres" || uri.scheme == "postgresql") {
                "not a postgres:// URL: ${uri.scheme}://..."
            }
            val host = requireNotNull(uri.host) { "no host in the postgres:// URL" }
            val port = if (uri.port == -1) DEFAULT_PORT else uri.port
            val path = uri.rawPath.ifEmpty { "/" }
            val query = uri.rawQuery?.let { "?$it" }.orEmpty()
            val credentials = uri.rawUserInfo?.split(':', limit = 2)?.map(::decode).orEmpty()
            return PostgresUrl(
                jdbcUrl = "jdbc:postgresql://$host:$port$path$query",
                username = credentials.getOrNull(0),
                password = credentials.getOrNull(1),
            )
        }

        // Percent-decoding only: URLDecoder also reads '+' as a space, which in a URL's user part it is not.
        private fun decode(part: String) = URLDecoder.decode(part.replace("+", "%2B"), Charsets.UTF_8)
    }
}
