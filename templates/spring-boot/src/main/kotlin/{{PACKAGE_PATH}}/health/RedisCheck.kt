package {{PACKAGE}}.health

import org.springframework.data.redis.connection.RedisConnectionFactory
import org.springframework.stereotype.Component

/** Redis answers when PING does (timeouts: spring.data.redis in application.yml). */
@Component
class RedisCheck(private val connectionFactory: RedisConnectionFactory) : DependencyCheck {
    override val name = "redis"

    override fun ping() {
        connectionFactory.connection.use { connection ->
            val reply = connection.ping()
            check(reply == "PONG") { "PING answered $reply" }
        }
    }
}
