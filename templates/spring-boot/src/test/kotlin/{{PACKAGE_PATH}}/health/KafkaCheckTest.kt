package {{PACKAGE}}.health

import org.apache.kafka.clients.admin.AdminClientConfig
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.springframework.kafka.core.KafkaAdmin
import kotlin.system.measureTimeMillis
import kotlin.test.assertTrue

/** Against a broker that is not there: no Kafka is needed to run it, and nothing leaves the machine. */
class KafkaCheckTest {
    private fun checkFor(bootstrapServers: String) =
        KafkaCheck(KafkaAdmin(mapOf<String, Any>(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG to bootstrapServers)))

    @Test
    fun `down, within its timeout, when nothing listens`() {
        // Port 1 on the loopback: refused at once, and retried until the timeout.
        val elapsed = measureTimeMillis {
            assertThrows<Exception> { checkFor("127.0.0.1:1").ping() }
        }
        assertTrue(elapsed < 10_000, "took $elapsed ms")
    }
}
