package {{PACKAGE}}.health

import io.mockk.every
import io.mockk.mockk
import io.mockk.verify
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertDoesNotThrow
import org.junit.jupiter.api.assertThrows
import org.springframework.data.redis.RedisConnectionFailureException
import org.springframework.data.redis.connection.RedisConnection
import org.springframework.data.redis.connection.RedisConnectionFactory

class RedisCheckTest {
    private val connection = mockk<RedisConnection>(relaxed = true)
    private val factory = mockk<RedisConnectionFactory> { every { getConnection() } returns connection }
    private val check = RedisCheck(factory)

    @Test
    fun `up when PING answers PONG, and the connection is closed`() {
        every { connection.ping() } returns "PONG"
        assertDoesNotThrow { check.ping() }
        verify { connection.close() }
    }

    @Test
    fun `down when Redis cannot be reached`() {
        every { factory.connection } throws RedisConnectionFailureException("Unable to connect to Redis")
        assertThrows<RedisConnectionFailureException> { check.ping() }
    }

    @Test
    fun `down when PING answers something else`() {
        every { connection.ping() } returns null
        assertThrows<IllegalStateException> { check.ping() }
    }
}
